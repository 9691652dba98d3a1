#!/usr/bin/env bash
# Runs every seqcurate test: installs what is missing, fetches the assets, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift test "$@"
