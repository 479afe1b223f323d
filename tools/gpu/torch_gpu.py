#!/usr/bin/env python3
"""The PyTorch side of gpu.ts: the throughput models of torch_steps.py (MLP at batch
256, ConvNet at batch 128) and torch_resnet18.py (ResNet-18, CIFAR stem, batch 128)
on one device (CUDA on the GPU machine), timed by the same bench() (each step ends
with loss.item(), which waits for the device, as gpu.ts waits for its loss).

torch_steps.py lives in ../shared/bench/ beside the repository; the GPU pack
copies it beside this script's bundle and names its folder with --steps-dir.

Prints one JSON line per model, in torch_steps.py's format, plus "device".

Usage: python3 torch_gpu.py --steps-dir DIR [--device cuda] [--steps 20] [--warmup 3] [--resnet-batch 128]
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps-dir", required=True, help="folder holding torch_steps.py")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch-scale", type=float, default=1.0, help="scales every batch (a quick check on a CPU)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.steps_dir))
    import torch_steps as ts  # noqa: E402  (found through --steps-dir)
    import torch_resnet18 as tr  # noqa: E402

    device = torch.device(args.device)
    torch.manual_seed(0)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"torch {torch.__version__} device={name}", file=sys.stderr)

    def scaled(b):
        return max(2, int(round(b * args.batch_scale)))

    def run(label, model, x, flops):
        model = model.to(device)
        res = ts.bench(label, model, x.to(device), flops, args.steps, args.warmup)
        res["device"] = name
        res["batch"] = x.shape[0]
        print(json.dumps(res), flush=True)

    dims = [784, 500, 500, 2000, 128]
    layers = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(nn.ReLU())
    bm = scaled(256)
    run("mlp", nn.Sequential(*layers), torch.rand(bm, 784), 3 * ts.mlp_flops_fwd(bm, dims))
    bc = scaled(128)
    run("cnn", ts.CNN(), torch.rand(bc, 1, 28, 28), 3 * ts.cnn_flops_fwd(bc))
    br = scaled(128)
    run("resnet18", tr.ResNet18Cifar(), torch.rand(br, 3, 32, 32), 3 * tr.resnet18_flops_fwd(br))


if __name__ == "__main__":
    main()
