#!/usr/bin/python3
"""Trains the PyTorch twin of a clusterflow CC run (our MLP with BatchNorm, the
official CC heads and losses from twin_common.py) on Fashion-MNIST, with the gray
preset's augmentation as torchvision computes it or as clusterflow does, so that
each difference can be switched on alone.

Augmentation (--aug): random resized crop of 20-100% of the area (ratio 3/4-4/3),
horizontal flip, brightness and contrast jitter of 0.4 applied with p = 0.8:
  tv   torchvision's transforms on tensors, per image: RandomResizedCrop (bilinear,
       half-pixel centres: F.interpolate align_corners=False), RandomHorizontalFlip,
       RandomApply([ColorJitter(0.4, 0.4)], 0.8) with the jitter order drawn per image
  cf   clusterflow's semantics: the crop enlarged with align_corners=True (samples from
       the first to the last pixel of the crop), the jitter order drawn per batch
  --crop-align and --jitter-order override either part alone.
Everything else is clusterflow's 70k setting: Adam 3e-4, batch 256, last partial batch
dropped, a new shuffle each epoch, evaluation = argmax of the cluster head on
un-augmented images with eval-mode BatchNorm.

Usage, from the repository root:
  /usr/bin/python3 tools/twin/train_torch.py --split test --epochs 10 --seed 0 --aug tv --out /tmp/x.jsonl
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from twin_common import CCNet, cc_cluster_loss, cc_instance_loss, cluster_acc, load_fmnist, mlp_backbone, nmi


def crop_params(H, W, scale, ratio):
    """torchvision RandomResizedCrop.get_params, drawing from torch's generator."""
    area = H * W
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect = math.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1]).item())
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= W and 0 < h <= H:
            i = torch.randint(0, H - h + 1, size=(1,)).item()
            j = torch.randint(0, W - w + 1, size=(1,)).item()
            return i, j, h, w
    return 0, 0, H, W  # ratio 1 lies inside 3/4-4/3: the fallback is the whole image


def augment(x, args):
    """x [B, 1, 28, 28] in 0..1 -> one view."""
    B, _, H, W = x.shape
    out = torch.empty_like(x)
    corners = args.crop_align == 'corners'
    for b in range(B):
        i, j, h, w = crop_params(H, W, (args.scale_min, 1.0), (3 / 4, 4 / 3))
        crop = x[b:b + 1, :, i:i + h, j:j + w]
        out[b:b + 1] = F.interpolate(crop, size=(H, W), mode='bilinear', align_corners=corners)
    flip = torch.rand(B) < 0.5
    out[flip] = out[flip].flip(-1)
    on = torch.rand(B) < args.jitter_p
    fb = torch.empty(B).uniform_(0.6, 1.4)
    fc = torch.empty(B).uniform_(0.6, 1.4)
    if args.jitter_order == 'batch':
        perm = torch.randperm(4)
        b_first = (perm == 0).nonzero().item() < (perm == 1).nonzero().item()
        first = torch.full((B,), b_first)
    else:
        perms = [torch.randperm(4) for _ in range(B)]
        first = torch.tensor([(p == 0).nonzero().item() < (p == 1).nonzero().item() for p in perms])
    fb = torch.where(on, fb, torch.ones(B)).view(B, 1, 1, 1)
    fc = torch.where(on, fc, torch.ones(B)).view(B, 1, 1, 1)

    def bright(y):
        return (y * fb).clamp(0, 1)

    def contrast(y):
        m = y.mean(dim=(1, 2, 3), keepdim=True)
        return (fc * y + (1 - fc) * m).clamp(0, 1)

    bc = contrast(bright(out))
    cb = bright(contrast(out))
    return torch.where(first.view(B, 1, 1, 1), bc, cb)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--split', default='test')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--aug', default='tv', choices=['tv', 'cf'])
    p.add_argument('--crop-align', choices=['half', 'corners'])
    p.add_argument('--jitter-order', choices=['image', 'batch'])
    p.add_argument('--jitter-p', type=float, default=0.8)
    p.add_argument('--scale-min', type=float, default=0.2)
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--lr', type=float, default=3e-4)
    p.add_argument('--bn-momentum', type=float, default=0.1)
    p.add_argument('--bn-eps', type=float, default=1e-5)
    p.add_argument('--no-bn', action='store_true')
    p.add_argument('--eval-every', type=int, default=1)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out')
    args = p.parse_args()
    args.crop_align = args.crop_align or ('half' if args.aug == 'tv' else 'corners')
    args.jitter_order = args.jitter_order or ('image' if args.aug == 'tv' else 'batch')
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    x, y = load_fmnist(args.split)
    X = torch.from_numpy(x).view(-1, 1, 28, 28)
    model = CCNet(mlp_backbone(batch_norm=not args.no_bn, bn_momentum=args.bn_momentum, bn_eps=args.bn_eps))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    n = len(X)
    steps = n // args.batch
    log = open(args.out, 'a') if args.out else None
    t0 = time.time()

    def evaluate(epoch, loss):
        pred = model.predict(X.view(n, -1))
        rec = dict(epoch=epoch, acc=round(float(cluster_acc(y, pred)), 4), nmi=round(float(nmi(y, pred)), 4),
                   loss=loss, sizes=np.bincount(pred, minlength=10).tolist(), seconds=round(time.time() - t0, 1),
                   **{k: v for k, v in vars(args).items() if k not in ('out',)})
        print(json.dumps(rec), flush=True)
        if log:
            log.write(json.dumps(rec) + '\n')
            log.flush()

    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        sums = np.zeros(3)
        for s in range(steps):
            xb = X[perm[s * args.batch:(s + 1) * args.batch]]
            with torch.no_grad():
                xi = augment(xb, args).view(args.batch, -1)
                xj = augment(xb, args).view(args.batch, -1)
            z_i, z_j, c_i, c_j = model(xi, xj)
            li = cc_instance_loss(z_i, z_j, 0.5)
            lc, ne = cc_cluster_loss(c_i, c_j, 1.0)
            loss = li + lc + ne
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [li.item(), lc.item(), ne.item()]
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            evaluate(epoch + 1, [round(v / steps, 4) for v in sums])


if __name__ == '__main__':
    main()
