#!/usr/bin/env bash
# Runs every seqcurate test: installs what is missing, fetches the assets, builds, tests.
# Then a fuzz smoke run: builds the instrumented seqfuzz (.build-fuzz) and runs each fuzz target
# from the committed seeds and regression inputs with a fixed random seed and a fixed number of
# runs, so that it is deterministic (docs/reliability.md). SEQFUZZ_SMOKE_RUNS sets the runs per
# target (default 10000; 0 skips the smoke run). A finding fails the run, except in a target with
# a known finding in Tests/Fuzz/pending/. Then the PyTorch tests (tools/torch/test.sh, on the
# debug binary swift test built): their count is printed on a line of its own, and a failure
# there fails this script. The last line counts the XCTest results.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
log=$(mktemp "${TMPDIR:-/tmp}/seqcurate-test.XXXXXX")
torch_log=$(mktemp "${TMPDIR:-/tmp}/seqcurate-torch-test.XXXXXX")
trap 'rm -f "$log" "$torch_log"' EXIT
swift test "$@" 2>&1 | tee "$log"
runs=${SEQFUZZ_SMOKE_RUNS:-10000}
if (( runs > 0 )); then
    SEQFUZZ_SEED=1 SEQFUZZ_FRESH_CORPUS=1 SEQFUZZ_PENDING_OK=1 tools/fuzz.sh all 120 -runs="$runs"
fi
torch_status=0
tools/torch/test.sh 2>&1 | tee "$torch_log" || torch_status=$?
# "Executed N tests, with M failures" of the whole XCTest run, as one closing line (swift test's
# own last line is Swift Testing's, which counts none of the XCTest cases).
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
grep -E "^torch tests: " "$torch_log" | tail -1 || echo "torch tests: did not finish (exit $torch_status)"
echo "$(( ${total:-0} - ${failed:-0} )) passed, ${failed:-0} failed"
exit "$torch_status"
