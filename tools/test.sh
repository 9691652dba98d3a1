#!/usr/bin/env bash
# Runs every seqcurate test: installs what is missing, fetches the assets, builds, tests.
# Then a fuzz smoke run: builds the instrumented seqfuzz (.build-fuzz) and runs each fuzz target
# briefly from the committed seeds with a fixed random seed (docs/reliability.md).
# SEQFUZZ_SMOKE_SECONDS sets the seconds per target (default 10; 0 skips the smoke run). A
# finding fails the run, except in a target with a known finding in Tests/Fuzz/pending/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift test "$@"
smoke=${SEQFUZZ_SMOKE_SECONDS:-10}
if (( smoke > 0 )); then
    SEQFUZZ_SEED=1 SEQFUZZ_PENDING_OK=1 tools/fuzz.sh all "$smoke"
fi
