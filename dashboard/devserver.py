"""Running the dashboard in a child process on a free port, for the browser tests and the screenshot script."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "free_port", "serve_app"]

ROOT = Path(__file__).resolve().parents[1]
# Debian's Chromium, driven by Playwright (which cannot download browsers here), with the flags that keep
# it off the closed network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _streamlit_bin() -> str:
    exe = Path(sys.executable).with_name("streamlit")
    return str(exe) if exe.exists() else shutil.which("streamlit") or "streamlit"


@contextlib.contextmanager
def serve_app(build: Path, *, timeout: float = 60.0, log_dir: Path | None = None):
    """Run `streamlit run dashboard/app.py -- --data BUILD` on a free port and yield its URL.

    The server's output goes to ``streamlit-PORT.log`` in ``log_dir`` (default: beside the build); the
    process is stopped by its own PID at the end.

    Raises:
        RuntimeError: streamlit exited, or did not answer its health check within ``timeout`` seconds.
    """
    port = free_port()
    cmd = [_streamlit_bin(), "run", str(ROOT / "dashboard" / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--", "--data", str(build)]
    log_path = Path(log_dir or Path(build).parent) / f"streamlit-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with status {proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s; see {log_path}")
            time.sleep(0.2)  # polling a health endpoint, not waiting for the page
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
