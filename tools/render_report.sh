#!/usr/bin/env bash
# Renders a seqcurate HTML report in headless Chromium (Debian's `chromium` package, installed
# here when missing) and fails when a page logs a console error, throws, or references an
# image that does not load.
#
#   tools/render_report.sh REPORT_DIR [SCREENSHOT_DIR]
#
# Checks index.html, the first video page, the sequence browser (sequences.html), the identity
# datasets page (identities.html), and training.html / evaluation.html when present.
# Each page is loaded twice:
#   1. as page.html?selfcheck with --dump-dom: the report's own script then loads every image
#      eagerly (lazy thumbnails included), records load failures, script errors and
#      console.error calls, and writes "SELFCHECK OK|FAIL ..." into the DOM; Chromium's log
#      (--enable-logging=stderr) is searched for CONSOLE messages as a second witness;
#   2. with --screenshot into SCREENSHOT_DIR (default REPORT_DIR/screenshots) as PNG.
# Exit code 0 when every page passes, 1 otherwise.
set -euo pipefail

usage() { echo "usage: $0 REPORT_DIR [SCREENSHOT_DIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
REPORT=$(cd "$1" && pwd) || usage
SHOTS=${2:-$REPORT/screenshots}
mkdir -p "$SHOTS"
SHOTS=$(cd "$SHOTS" && pwd)
[[ -f "$REPORT/index.html" ]] || { echo "render_report: no index.html in $REPORT" >&2; exit 1; }

log() { echo "render_report: $*" >&2; }

# --- Chromium --------------------------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$CHROMIUM" ]]; then
    log "installing Debian's chromium (apt-get)"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    CHROMIUM=$(command -v chromium)
fi
log "using $("$CHROMIUM" --version 2>/dev/null | head -1)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# --no-sandbox: Chromium's sandbox does not start as root or in most containers.
FLAGS=(--headless --disable-gpu --no-sandbox --no-first-run --no-default-browser-check --disable-extensions
       --disable-background-networking --disable-sync --mute-audio --hide-scrollbars)

file_url() {
    python3 -c 'import sys, urllib.parse; print("file://" + urllib.parse.quote(sys.argv[1]))' "$1" 2>/dev/null || echo "file://$1"
}

# --- Pages -----------------------------------------------------------------------------
pages=("index.html")
first_video=$(cd "$REPORT" && ls videos/video-*.html 2>/dev/null | sort -V | head -1 || true)
[[ -n "$first_video" ]] && pages+=("$first_video")
for extra in sequences.html identities.html training.html evaluation.html; do [[ -f "$REPORT/$extra" ]] && pages+=("$extra"); done

failed=0
for page in "${pages[@]}"; do
    url=$(file_url "$REPORT/$page")
    name=$(echo "$page" | tr '/' '_'); name=${name%.html}
    profile="$WORK/profile-$name"

    # 1. Self-check: DOM after load, and Chromium's console log.
    if ! timeout 120 "$CHROMIUM" "${FLAGS[@]}" --user-data-dir="$profile-a" --enable-logging=stderr --v=0 \
            --virtual-time-budget=20000 --dump-dom "$url?selfcheck" >"$WORK/$name.dom" 2>"$WORK/$name.log"; then
        log "FAIL $page: chromium did not finish (see below)"; tail -20 "$WORK/$name.log" >&2; failed=1; continue
    fi
    check=$(grep -o 'SELFCHECK [A-Z]* images=[0-9]* errors=[0-9]*' "$WORK/$name.dom" || true)
    console=$(grep -E 'CONSOLE' "$WORK/$name.log" || true)
    if [[ -z "$check" ]]; then
        log "FAIL $page: the page's self-check did not run (script error or load not finished)"; failed=1
    elif [[ "$check" != SELFCHECK\ OK* ]]; then
        log "FAIL $page: $check"
        # The failures are listed in the <pre id="selfcheck"> element after the summary line.
        sed -n '/id="selfcheck"/,/<\/pre>/p' "$WORK/$name.dom" | sed 's/<[^>]*>//g' | head -40 >&2
        failed=1
    fi
    if [[ -n "$console" ]]; then
        log "FAIL $page: console messages:"; echo "$console" | head -20 >&2; failed=1
    fi

    # 2. Screenshot (a tall window, so the charts and the first contact sheets are in view).
    timeout 120 "$CHROMIUM" "${FLAGS[@]}" --user-data-dir="$profile-b" --window-size=1280,2400 \
        --virtual-time-budget=10000 --screenshot="$SHOTS/$name.png" "$url" >/dev/null 2>&1 || true
    if [[ -s "$SHOTS/$name.png" ]]; then
        [[ -n "$check" && "$check" == SELFCHECK\ OK* && -z "$console" ]] && log "ok   $page: $check -> $SHOTS/$name.png"
    else
        log "FAIL $page: no screenshot"; failed=1
    fi
done

if (( failed )); then log "some pages failed"; exit 1; fi
log "all ${#pages[@]} pages rendered without errors"
