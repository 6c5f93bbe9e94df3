"""Tests for the package's public names (analysis/__init__.py)."""

import pytest

import analysis


@pytest.mark.parametrize("name", [n for n in analysis.__all__ if n != "__version__"])
def test_public_names_resolve(name):
    assert callable(getattr(analysis, name))


def test_unknown_name_is_a_clear_error():
    with pytest.raises(AttributeError, match="module 'analysis' has no attribute 'nope'"):
        analysis.nope  # noqa: B018


def test_installed_console_command_runs_the_cli(tmp_path):
    """`pip install -e .` (make setup) puts `diplomatic-themes` beside the interpreter; it is the same CLI."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    command = Path(sys.executable).with_name("diplomatic-themes")
    if not command.exists():
        command = shutil.which("diplomatic-themes")
    assert command, "the console command is missing: run `make setup` (pip install -e .)"
    done = subprocess.run([str(command), "build", "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--out" in done.stdout


def test_the_app_module_does_not_edit_sys_path():
    from pathlib import Path

    app = (Path(__file__).resolve().parents[1] / "dashboard" / "app.py").read_text(encoding="utf-8")
    assert "sys.path" not in app
