#!/usr/bin/env bash
# Builds seqcurate in release mode and installs it with its models, so that it runs from any
# folder (docs/install.md):
#   PREFIX/bin/seqcurate
#   PREFIX/share/seqcurate/mtcnn.safetensors   (fetched by tools/setup.sh --assets if missing)
#   PREFIX/share/seqcurate/dlib_face_resnet.safetensors   (when tools/setup.sh has made it),
#     with dlib_shape_predictor_5.safetensors and dlib_hog.safetensors beside it (the chip)
#
#   tools/install.sh [--prefix DIR]     DIR defaults to /usr/local
#
# Idempotent: files that are already installed and unchanged are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=/usr/local
while (( $# )); do
    case "$1" in
        --prefix) [[ $# -ge 2 ]] || { echo "install: --prefix needs a folder" >&2; exit 2; }; PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install: unknown argument '$1' (usage: tools/install.sh [--prefix DIR])" >&2; exit 2 ;;
    esac
done
[[ -n "$PREFIX" ]] || { echo "install: --prefix is empty" >&2; exit 2; }
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
log() { echo "install: $*" >&2; }

log "building seqcurate (release; full output in .build/install-build.log)"
mkdir -p .build
if ! swift build -c release --product seqcurate > .build/install-build.log 2>&1; then
    grep -E "error:" .build/install-build.log >&2 || tail -20 .build/install-build.log >&2
    log "build failed (see .build/install-build.log)"
    exit 1
fi
grep -E "^Build .*complete" .build/install-build.log >&2 || true
BIN=$(swift build -c release --show-bin-path)/seqcurate
[[ -x "$BIN" ]] || { log "build failed: no $BIN"; exit 1; }

WEIGHTS=assets/mtcnn.safetensors
if [[ ! -f "$WEIGHTS" ]]; then
    log "$WEIGHTS is missing: fetching it with tools/setup.sh --assets"
    tools/setup.sh --assets
fi
[[ -f "$WEIGHTS" ]] || { log "no $WEIGHTS after tools/setup.sh --assets"; exit 1; }

put() { # source destination mode
    local src=$1 dst=$2 mode=$3
    mkdir -p "$(dirname "$dst")"
    if [[ -f "$dst" ]] && cmp -s "$src" "$dst"; then
        chmod "$mode" "$dst"
        echo "up to date  $dst"
    else
        # Into a temporary name, then renamed: a running seqcurate keeps its old file.
        cp "$src" "$dst.part.$$"
        chmod "$mode" "$dst.part.$$"
        mv -f "$dst.part.$$" "$dst"
        echo "installed   $dst"
    fi
}
put "$BIN" "$PREFIX/bin/seqcurate" 755
put "$WEIGHTS" "$PREFIX/share/seqcurate/mtcnn.safetensors" 644
# The dlib face embedding (seqcurate embed; docs/embedding.md), when tools/setup.sh has made it,
# and what cuts dlib's chip, looked for beside the network's weights: the shape predictor and
# the HOG detector's filters.
if [[ -f assets/dlib_face_resnet.safetensors ]]; then
    for f in dlib_face_resnet.safetensors dlib_shape_predictor_5.safetensors dlib_hog.safetensors; do
        if [[ -f "assets/$f" ]]; then put "assets/$f" "$PREFIX/share/seqcurate/$f" 644; fi
    done
fi

case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) log "$PREFIX/bin is not on PATH: add it (export PATH=\"$PREFIX/bin:\$PATH\")" ;;
esac
"$PREFIX/bin/seqcurate" --version >/dev/null || { log "$PREFIX/bin/seqcurate does not run"; exit 1; }
log "done: $PREFIX/bin/seqcurate $("$PREFIX/bin/seqcurate" --version)"
