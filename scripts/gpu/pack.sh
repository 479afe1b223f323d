#!/usr/bin/env bash
# Prepares the GPU measurement (tools/gpu/gpu.ts) to run in one call on
# a GPU machine, which has no Node.js, no node_modules, no Vulkan loader and no
# ../shared. Run from anywhere in the repository, after `npm run build`:
#
#   bash scripts/gpu/pack.sh
#   # then, on the GPU machine with .gpu/ carried beside the tree:  bash .gpu/measure.sh
#
# It builds on ../shared/gpu/pack.sh (node, Dawn, the Vulkan loader, the bundle)
# and adds, within the 64 MiB that may travel with the tree:
#   dawn.node.xz                 Dawn's bindings, xz-compressed (21 MB -> 5 MB; unpacked there)
#   data/train-images.xz, ...     Fashion-MNIST's 60k training split (the 10k test split is in the repository)
#   torch/                        torch_steps.py from ../shared/bench, torch_gpu.py and torch_resnet18.py
#   measure.sh                    the one command
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
cd "$root"
shared="$root/../shared"
[ -f "$shared/gpu/pack.sh" ] || { echo "pack.sh: $shared/gpu/pack.sh is missing (../shared beside the repository)" >&2; exit 1; }
fmnist="$shared/data/fashion-mnist"
[ -f "$fmnist/train-images-idx3-ubyte.gz" ] || { echo "pack.sh: no Fashion-MNIST training split in $fmnist" >&2; exit 1; }

bash "$shared/gpu/pack.sh" tools/gpu/gpu.ts
out=.gpu
dawn="$out/node_modules/webgpu/dist/linux-x64/dawn.node"
if [ -f "$dawn" ]; then
  xz -T0 -9 -c "$dawn" > "$out/dawn.node.xz"
  rm "$dawn"
fi
mkdir -p "$out/data" "$out/torch"
[ -s "$out/data/train-images-idx3-ubyte.xz" ] || zcat "$fmnist/train-images-idx3-ubyte.gz" | xz -T0 -9e > "$out/data/train-images-idx3-ubyte.xz"
cp "$fmnist/train-labels-idx1-ubyte.gz" "$out/data/"
cp "$shared/bench/torch_steps.py" tools/gpu/torch_gpu.py tools/speed/torch_resnet18.py "$out/torch/"
cp scripts/gpu/measure.sh "$out/measure.sh"
chmod +x "$out/measure.sh"
tree_mib=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
gpu_mib=$(du -sb "$out" | cut -f1)
echo "packed: .gpu is $((gpu_mib / 1048576)) MiB, the tracked tree $((tree_mib / 1048576)) MiB (64 MiB may travel)" >&2
