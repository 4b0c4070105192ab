#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/web, marker 'browser') when absent.
# Usage: scripts/browser.sh            -> prints the path of the chromium binary
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium is not installed and installing it needs root: apt-get install -y chromium" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
fi
echo "$CHROMIUM"
