#!/bin/bash
# Regenerates Sources/SeqCaffe/caffe.pb.swift from schemas/caffe/caffe.proto. The generated file
# is committed: nothing is generated at build time. Needs protoc (pip install grpcio-tools gives
# `python3 -m grpc_tools.protoc`) and swift-protobuf's plugin, built once outside the repository:
#   git clone https://github.com/apple/swift-protobuf /tmp/swpb && cd /tmp/swpb && git checkout 1.39.0
#   swift build -c release --product protoc-gen-swift
# Usage: tools/gen_caffe_proto.sh [path/to/protoc-gen-swift]
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${1:-/tmp/swpb/.build/release/protoc-gen-swift}"
python3 -m grpc_tools.protoc -I schemas/caffe --plugin=protoc-gen-swift="$plugin" \
    --swift_out=Sources/SeqCaffe schemas/caffe/caffe.proto
echo "wrote Sources/SeqCaffe/caffe.pb.swift"
