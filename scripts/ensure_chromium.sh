#!/bin/sh
# Install Debian's Chromium for the browser tests, once. Idempotent; needs root (or sudo) the first time.
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's chromium for the browser tests (about a minute, once)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "Chromium is not installed and this user cannot install it: the browser tests will be skipped." >&2
    echo "Install it with: apt-get install chromium" >&2
fi
exit 0
