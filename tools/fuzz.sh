#!/usr/bin/env bash
# Fuzzes seqcurate's file parsers with libFuzzer and AddressSanitizer (docs/reliability.md).
#
#   tools/fuzz.sh TARGET SECONDS [libFuzzer flags...]   one target
#   tools/fuzz.sh all SECONDS [libFuzzer flags...]      each target in turn, SECONDS each
#   tools/fuzz.sh --build                               only build .build-fuzz/debug/seqfuzz
#   tools/fuzz.sh --list                                the target names
#
# Targets: npy safetensors pairs keys pickle roc trainlist trainconfig image video.
#
# The instrumented build lives in .build-fuzz (its own scratch path, so it never disturbs the
# normal .build). Each run starts from the committed seeds (Tests/Fuzz/seeds/TARGET) and
# regression inputs (Tests/Fuzz/regressions/TARGET) and grows a working corpus in
# .build-fuzz/corpus/TARGET. A crash, a sanitizer report, a 10 s hang or an error that breaks
# the SeqError contract (SEQFUZZ_STRICT=1, the default) stops the target and leaves the input
# in .build-fuzz/crashes/TARGET/ (libFuzzer's output in .build-fuzz/logs/); the script then
# exits 1. For long runs add `-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1` to
# collect every finding instead of stopping at the first. Reproduce one without sanitizers
# with `swift build --product seqfuzz && .build/debug/seqfuzz TARGET FILE`. Each run appends
# a line (date, target, seconds, executions, result) to .build-fuzz/fuzz-log.tsv.
#
# Environment: SEQFUZZ_SEED=N fixes libFuzzer's random seed (tools/test.sh's smoke run uses 1);
# SEQFUZZ_FRESH_CORPUS=1 starts from the committed seeds alone (the smoke run does, so that it is
# deterministic with -runs=N);
# SEQFUZZ_STRICT=0 reports only crashes; SEQFUZZ_PENDING_OK=1 (the smoke run) does not fail on
# a target that already has a known, routed finding waiting in Tests/Fuzz/pending/TARGET, so
# CI stays green until its owner fixes it, while every other target still fails on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCRATCH="$ROOT/.build-fuzz"
BIN="$SCRATCH/debug/seqfuzz"
TARGETS=(npy safetensors pairs keys pickle roc trainlist trainconfig image video)

log() { echo "fuzz: $*" >&2; }

build() {
    log "building the instrumented seqfuzz (-sanitize=fuzzer,address) in .build-fuzz"
    # Only the seqfuzz product: its modules are the parsers, so the ASAN build stays small.
    # The full output (including the linker's harmless "Cannot export local symbol
    # '__asan_…'" warnings) goes to .build-fuzz/build.log.
    mkdir -p "$SCRATCH"
    if ! swift build --product seqfuzz --scratch-path "$SCRATCH" \
            -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >"$SCRATCH/build.log" 2>&1; then
        grep -E "error" "$SCRATCH/build.log" | head -20 >&2 || true
        log "build failed (see .build-fuzz/build.log)"; exit 1
    fi
    # A normal build in this scratch path would also link; make sure this is the libFuzzer one.
    local help
    help=$("$BIN" -help=1 2>&1 || true)
    [[ $help == *max_total_time* ]] || { log "$BIN is not a libFuzzer binary"; exit 1; }
}

run_target() {
    local target=$1 seconds=$2; shift 2
    local corpus="$SCRATCH/corpus/$target" crashes="$SCRATCH/crashes/$target"
    # A fresh corpus (the smoke run): with a fixed seed and -runs=N the run is the same on every
    # machine with this toolchain, whatever earlier local campaigns left in .build-fuzz/corpus.
    if [[ ${SEQFUZZ_FRESH_CORPUS:-0} == 1 ]]; then
        corpus="$SCRATCH/corpus-smoke/$target"
        rm -rf "$corpus"
    fi
    local seeds="$ROOT/Tests/Fuzz/seeds/$target" regressions="$ROOT/Tests/Fuzz/regressions/$target"
    mkdir -p "$corpus" "$crashes"
    local dirs=("$corpus")
    [[ -d "$seeds" ]] && dirs+=("$seeds")
    [[ -d "$regressions" ]] && dirs+=("$regressions")
    local flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                 -artifact_prefix="$crashes/")
    [[ -f "$ROOT/Tests/Fuzz/dicts/$target.dict" ]] && flags+=(-dict="$ROOT/Tests/Fuzz/dicts/$target.dict")
    [[ -n "${SEQFUZZ_SEED:-}" ]] && flags+=(-seed="$SEQFUZZ_SEED")
    # Media inputs are larger than the text formats; let mutations grow past the seeds a little.
    case $target in image|video) flags+=(-max_len=16384) ;; *) flags+=(-max_len=4096) ;; esac

    # Parsers that read paths write their input under TMPDIR; a private one is removed after.
    local tmp out status
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/seqfuzz-$target.XXXXXX")
    mkdir -p "$SCRATCH/logs"
    out="$SCRATCH/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log"
    log "$target: ${seconds}s from ${dirs[*]#$ROOT/}"
    set +e
    # Swift's own crash backtracer would race ASAN's report (and trip ASAN itself), so it is
    # off; libFuzzer prints the stack. LeakSanitizer skips leaks listed as not ours.
    TMPDIR="$tmp" SEQFUZZ_TARGET="$target" SEQFUZZ_STRICT="${SEQFUZZ_STRICT:-1}" \
        SWIFT_BACKTRACE=enable=no \
        LSAN_OPTIONS="suppressions=$ROOT/Tests/Fuzz/lsan-suppressions.txt:print_suppressions=0" \
        "$BIN" "${flags[@]}" "$@" "${dirs[@]}" >"$out" 2>&1
    status=$?
    set -e
    local execs result forked
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
    # -fork=N runs report progress lines ("#123456: cov: ... oom/timeout/crash: 0/0/1 ...")
    # instead of final stats, and keep going after findings (with -ignore_*).
    forked=$(grep -E '^#[0-9]+: cov:' "$out" | tail -1 || true)
    [[ -n $execs ]] || execs=$(sed -n 's/^#\([0-9][0-9]*\): cov:.*/\1/p' <<<"$forked")
    local findings
    findings=$(sed -n 's|.*oom/timeout/crash: \([0-9/]*\).*|\1|p' <<<"$forked")
    if [[ -n $findings && $findings != 0/0/0 ]]; then
        result="findings oom/timeout/crash $findings"
        status=1
    elif (( status == 0 )); then
        result=ok
    else
        result="FAILED (status $status)"
        # The report: the sanitizer or Swift message and the stack, then libFuzzer's summary.
        grep -E "^(==|SUMMARY|Fatal error|seqfuzz:|    #|ERROR|artifact_prefix|Test unit written)" "$out" | head -60 >&2 || true
    fi
    log "$target: ${execs:-?} executions in ${seconds}s: $result (corpus $(ls "$corpus" | wc -l) inputs; log ${out#$ROOT/})"
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$target" "$seconds" "${execs:-?}" "$result" \
        >> "$SCRATCH/fuzz-log.tsv"
    rm -rf "$tmp"
    if (( status != 0 )) && [[ ${SEQFUZZ_PENDING_OK:-0} == 1 ]] &&
       [[ -n $(ls -A "$ROOT/Tests/Fuzz/pending/$target" 2>/dev/null) ]]; then
        log "$target: has known pending findings (Tests/Fuzz/pending/$target), so this one is reported, not fatal"
        return 0
    fi
    return $(( status == 0 ? 0 : 1 ))
}

case "${1:-}" in
    --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    --build) build; exit 0 ;;
    ""|-h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
target=$1
seconds=${2:?usage: tools/fuzz.sh TARGET|all SECONDS [libFuzzer flags...]}
shift 2
if [[ $target != all && ! " ${TARGETS[*]} " =~ " $target " ]]; then
    log "unknown target '$target' (known: ${TARGETS[*]} all)"; exit 2
fi
build
failed=()
for t in $([[ $target == all ]] && echo "${TARGETS[@]}" || echo "$target"); do
    run_target "$t" "$seconds" "$@" || failed+=("$t")
done
if (( ${#failed[@]} )); then
    log "findings in: ${failed[*]} (inputs in .build-fuzz/crashes/)"
    exit 1
fi
