#!/usr/bin/env bash
# Headless Chromium (Debian package) for the test that opens the HTML KPI report.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "chromium.sh: installing Chromium (Debian packages)" >&2
apt-get update >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
command -v chromium >&2
