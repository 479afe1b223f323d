#!/usr/bin/env python3
"""ResNet-18 (CIFAR stem) training-step throughput, PyTorch CPU: the reference
for the `resnet18` row of throughput.ts / throughput-native.ts. Same work as
`resnet18()` in models.ts, and the conventions of torch_steps.py (which has no
ResNet; it lives in ../shared/bench/, beside the repository's root):

  resnet18 : 3x32x32 input, conv3x3(64, stride 1, pad 1, no bias)-BN-ReLU (the
             CIFAR stem: no max-pool), BasicBlocks [2, 2, 2, 2] of 64/128/256/512
             channels with first-block strides 1/2/2/2, each
             relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)), the shortcut a
             1x1 conv (no bias) + BN where the stride or width changes; global
             average pool to 512, linear(512 -> 10).
             Batch 128 (the reference batch size), loss = mean(out**2), plain
             SGD (lr 1e-3) over every parameter (convs, BN gamma/beta, linear),
             fp32.

BatchNorm is in training mode: it normalises with the batch's own mean and biased
variance (gradient flowing through them), eps 1e-5. track_running_stats=False, so
no running averages are kept; models.ts keeps none either.

FLOP convention (torch_steps.py's): forward = sum of 2*m*n*k over matmuls / convs
(conv: 2*N*Hout*Wout*Cout*Cin*kh*kw); one training step = 3x forward. BN, bias
adds, ReLU, residual adds, pooling, loss and the SGD update are not counted.

Prints one JSON line per model, in torch_steps.py's format. torch_stepper.py
steps the same model on request (throughput-native.ts).

Usage: /usr/bin/python3 torch_resnet18.py [--threads 2] [--steps 3] [--warmup 1] [--batch 128]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

# (output channels, first block's stride) per stage; 2 BasicBlocks each.
STAGES = [(64, 1), (128, 2), (256, 2), (512, 2)]
BLOCKS_PER_STAGE = 2
NUM_OUT = 10


def resnet18_convs(size=32, in_c=3):
    """Every conv of the forward as (out_h, out_w, c_out, c_in, k), then the linear as (1, 1, out, in, 1)."""
    convs = [(size, size, 64, in_c, 3)]  # stem
    c, s = 64, size
    for width, stride in STAGES:
        for b in range(BLOCKS_PER_STAGE):
            st = stride if b == 0 else 1
            o = (s + 2 - 3) // st + 1  # 3x3, pad 1
            convs.append((o, o, width, c, 3))
            convs.append((o, o, width, width, 3))
            if st != 1 or c != width:
                convs.append((o, o, width, c, 1))  # downsample 1x1, pad 0
            c, s = width, o
    convs.append((1, 1, NUM_OUT, c, 1))  # linear 512 -> 10
    return convs


def resnet18_flops_fwd(batch):
    return sum(2 * batch * oh * ow * co * ci * k * k for oh, ow, co, ci, k in resnet18_convs())


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-5, track_running_stats=False)


class BasicBlock(nn.Module):
    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, out_c, 3, stride=stride, padding=1, bias=False)
        self.bn1 = bn(out_c)
        self.conv2 = nn.Conv2d(out_c, out_c, 3, stride=1, padding=1, bias=False)
        self.bn2 = bn(out_c)
        self.downsample = None
        if stride != 1 or in_c != out_c:
            self.downsample = nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride=stride, bias=False), bn(out_c))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return torch.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNet18Cifar(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = bn(64)
        layers, c = [], 64
        for width, stride in STAGES:
            blocks = []
            for b in range(BLOCKS_PER_STAGE):
                blocks.append(BasicBlock(c, width, stride if b == 0 else 1))
                c = width
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, NUM_OUT)

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = self.layers(h)
        return self.fc(h.mean(dim=(2, 3)))


def sgd_step(model, x):
    """The training step torch_steps.py's bench() times: SGD lr 1e-3 on mean(out**2), then loss.item()."""
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = (out * out).mean()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def bench(name, model, x, flops_step, steps, warmup):
    """torch_steps.py's bench(), its step in sgd_step()."""
    step = sgd_step(model, x)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    return dict(model=name, ms_median=round(med, 2), ms_min=round(min(times), 2),
                ms_max=round(max(times), 2), steps=steps,
                gflop_per_step=round(flops_step / 1e9, 4),
                gflops=round(flops_step / (med * 1e-3) / 1e9, 2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} "
          f"mkldnn={torch.backends.mkldnn.is_available()}")

    model = ResNet18Cifar()
    x = torch.rand(args.batch, 3, 32, 32)
    r = bench("resnet18", model, x, 3 * resnet18_flops_fwd(args.batch), args.steps, args.warmup)
    r["batch"] = args.batch
    print(json.dumps(r))


if __name__ == "__main__":
    main()
