#!/usr/bin/env bash
# The GPU measurement in one command, on the GPU machine (copied into .gpu/ by
# scripts/gpu/pack.sh): unpacks Dawn and Fashion-MNIST, then runs gpu.ts, which
# times the throughput models on WebGPU beside PyTorch on CUDA and trains the
# ConvNet on the 70k images. Results: $OUT/gpu.json (and the log on stdout).
# Extra arguments go to gpu.ts (e.g. --epochs 1, or the SwiftShader check's
# --batch-scale 0.0625 --steps 2 --warmup 1 --allow-software --torch-device cpu --max-steps 3 --epochs 1 --split test --train-batch 16).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
dawn="$here/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -s "$dawn" ] || xz -dc "$here/dawn.node.xz" > "$dawn"
data="${TMPDIR:-/tmp}/clusterflow-fmnist"
mkdir -p "$data"
[ -s "$data/train-images-idx3-ubyte" ] || xz -dc "$here/data/train-images-idx3-ubyte.xz" > "$data/train-images-idx3-ubyte"
cp "$here/data/train-labels-idx1-ubyte.gz" "$repo"/packages/data/assets/fashion-mnist/t10k-*.gz "$data/"
out="${OUT:-$repo/gpu-out}"
mkdir -p "$out"
set -o pipefail
bash "$here/run.sh" --out "$out" --data "$data" \
  --torch-script "$here/torch/torch_gpu.py" --torch-steps-dir "$here/torch" "$@" 2>&1 | tee "$out/gpu.log"
