#!/usr/bin/env bash
# Runs the tools/torch tests (python3 -m unittest, no other test runner needed) and prints one
# closing line, "torch tests: N passed, M failed, K skipped". Exits non-zero when a test fails.
# The tests call the seqcurate binary at .build/debug/seqcurate (swift build / swift test makes
# it) or $SEQCURATE_BIN; without one the tests that need it are skipped.
set -euo pipefail
cd "$(dirname "$0")"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
python3 - "$@" <<'PY'
import sys, unittest
suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
if len(sys.argv) > 1:   # optional name filter, e.g. tools/torch/test.sh test_losses
    def flatten(s):
        for t in s:
            yield from (flatten(t) if isinstance(t, unittest.TestSuite) else [t])
    suite = unittest.TestSuite(t for t in flatten(suite) if any(a in t.id() for a in sys.argv[1:]))
result = unittest.TextTestRunner(verbosity=1).run(suite)
bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
print(f"torch tests: {result.testsRun - bad - skipped} passed, {bad} failed, {skipped} skipped")
sys.exit(1 if bad or result.testsRun == 0 else 0)
PY
