#!/usr/bin/env python3
"""PyTorch training steps on demand, for throughput-native.ts's paired timing:
it alternates one TF.js step and one PyTorch step, so both sides see the same
machine load (a shared machine's load moves by 2x within a minute).

The models are the throughput benches' PyTorch twins: the MLP and CNN of
torch_steps.py (../shared/bench/, beside the repository's root: its CNN class,
and the MLP its main() builds) and torch_resnet18.py's ResNet18Cifar, each
stepped as their bench() steps them (SGD lr 1e-3, loss mean(out**2), loss.item()).

Protocol, one line each way: "<model> <batch>" -> {"model", "batch", "ms",
"gflop_per_step", "rss_mib"} after one timed step. The model and its input are
built on first use, then one step runs untimed, and that reply also holds
rss_before_mib, the process's peak resident memory before that first step
(rss_mib is the peak so far; the FLOPs follow the scripts' convention). Prints
{"ready": ..., "blas": ...} once torch is loaded: "blas" names the OpenBLAS
core torch's matrix products run on (threadpoolctl asks the loaded library's
openblas_get_corename) and what its convolutions use.

Usage: /usr/bin/python3 torch_stepper.py <torch_steps.py> [--threads 2]
"""
import argparse
import importlib.util
import json
import resource
import sys
import time

import torch
import torch.nn as nn

import torch_resnet18


def blas_summary():
    """"OpenBLAS 0.3.21, core SkylakeX; convolutions: oneDNN v2.6.3" for this process, as loaded."""
    parts = []
    try:
        import threadpoolctl
        for lib in threadpoolctl.threadpool_info():
            if lib.get("internal_api") == "openblas":
                parts.append(f"OpenBLAS {lib.get('version')}, core {lib.get('architecture')}")
            elif lib.get("user_api") == "blas":
                parts.append(f"{lib.get('internal_api')} {lib.get('version')}")
    except ImportError:
        parts.append("BLAS unknown (no threadpoolctl)")
    config = torch.__config__.show()
    dnn = next((line.split("-", 1)[1].strip() for line in config.splitlines() if "MKL-DNN" in line or "oneDNN" in line), None)
    if dnn and torch.backends.mkldnn.is_available():
        parts.append(f"convolutions: {dnn.replace('Intel(R) MKL-DNN', 'oneDNN').split(' (')[0]}")
    return "; ".join(parts) or "unknown"


def load_torch_steps(path):
    spec = importlib.util.spec_from_file_location("torch_steps", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


MLP_DIMS = [784, 500, 500, 2000, 128]


def build(ts, name, batch):
    """The model, its input and its FLOPs per step (3x the forward's)."""
    if name == "mlp":
        # torch_steps.py main()'s MLP: Linear layers 784-500-500-2000-128, ReLU after all but the last.
        layers = []
        for i, (a, b) in enumerate(zip(MLP_DIMS[:-1], MLP_DIMS[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(MLP_DIMS) - 2:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers), torch.rand(batch, 784), 3 * ts.mlp_flops_fwd(batch, MLP_DIMS)
    if name == "cnn":
        return ts.CNN(), torch.rand(batch, 1, 28, 28), 3 * ts.cnn_flops_fwd(batch)
    if name == "resnet18":
        return torch_resnet18.ResNet18Cifar(), torch.rand(batch, 3, 32, 32), 3 * torch_resnet18.resnet18_flops_fwd(batch)
    raise ValueError(f"unknown model {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("torch_steps")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ts = load_torch_steps(args.torch_steps)
    steps = {}
    print(json.dumps({"ready": f"torch {torch.__version__} threads={torch.get_num_threads()}", "blas": blas_summary(),
                      "rss_mib": peak_rss_mib()}), flush=True)
    for line in sys.stdin:
        name, batch = line.split()
        key = (name, int(batch))
        first = {}
        if key not in steps:
            model, x, flops = build(ts, name, int(batch))
            first = {"rss_before_mib": peak_rss_mib()}
            steps[key] = (torch_resnet18.sgd_step(model, x), flops)
            steps[key][0]()
        step, flops = steps[key]
        t0 = time.perf_counter()
        step()
        ms = (time.perf_counter() - t0) * 1e3
        print(json.dumps({"model": name, "batch": int(batch), "ms": round(ms, 2), "gflop_per_step": round(flops / 1e9, 4),
                          "rss_mib": peak_rss_mib(), **first}), flush=True)


if __name__ == "__main__":
    main()
