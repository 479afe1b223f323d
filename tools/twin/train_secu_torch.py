#!/usr/bin/python3
"""Trains SeCu (size constraint) in PyTorch with the official main.py recipe on our
setting: clusterflow's MLP with BatchNorm, the official SeCu.forward over our projector
(twin_common.py), two views of the gray preset as torchvision computes them
(train_torch.py's augment), SGD lr 0.2 / momentum 0.9 / weight decay 1e-4 on the encoder
and on the centers (constant clr 1.2), main.py's adjust_learning_rate (lr 0 in epoch 0,
warm-up to epoch 11, cosine), the centers' snapshot at each epoch start, the counters'
reset after each epoch, a new shuffle each epoch and the last partial batch kept
(drop_last=False). Evaluation: argmax over the K = 10 head on un-augmented images with
eval-mode BatchNorm, as clusterflow reads it out.

It says what the official mechanics give on this setting, seed by seed, without
clusterflow: the yardstick for clusterflow's secu-size-sgd run.

Usage, from the repository root:
  /usr/bin/python3 tools/twin/train_secu_torch.py --split all --epochs 20 --seed 0 --hidden 128 --out /tmp/secu.jsonl
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from secu_free_run import official_lr
from train_torch import augment
from twin_common import SecuNet, cluster_acc, load_fmnist, mlp_backbone, nmi, secu_dual_update, secu_size_loss


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--split', default='all')
    p.add_argument('--epochs', type=int, default=20)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--hidden', type=int, default=512, help="the projector's hidden width")
    p.add_argument('--lr', type=float, default=0.2)
    p.add_argument('--clr', type=float, default=1.2)
    p.add_argument('--drop-last', action='store_true')
    p.add_argument('--eval-every', type=int, default=5)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--max-steps', type=int, default=0, help='stop after this many steps (timing)')
    p.add_argument('--out')
    args = p.parse_args()
    # The gray preset as train_torch.py's --aug tv computes it.
    args.crop_align, args.jitter_order, args.jitter_p, args.scale_min = 'half', 'image', 0.8, 0.2
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    x, y = load_fmnist(args.split)
    n = len(x)
    X = torch.from_numpy(x).view(-1, 1, 28, 28)
    ks = [10 * (i + 1) for i in range(10)]
    model = SecuNet(mlp_backbone(batch_norm=True), ks, feat_dim=128, hidden=args.hidden, dim=128)
    centers = [q for name, q in model.named_parameters() if name.startswith('centers.')]
    encoder = [q for name, q in model.named_parameters() if not name.startswith('centers.')]
    opt = torch.optim.SGD([{'params': encoder, 'lr': args.lr}, {'params': centers, 'lr': args.clr}],
                          weight_decay=1e-4, momentum=0.9)
    labels = [torch.ones(n, dtype=torch.long) for _ in ks]
    duals = [torch.zeros(k) for k in ks]
    steps = n // args.batch if args.drop_last else -(-n // args.batch)
    log = open(args.out, 'a') if args.out else None
    t0 = time.time()
    done = 0
    for epoch in range(args.epochs):
        model.train()
        pre = [F.normalize(c.detach().clone(), dim=0) for c in model.centers]
        perm = torch.randperm(n)
        sums = np.zeros(2)
        for it in range(steps):
            idx = perm[it * args.batch:(it + 1) * args.batch]
            with torch.no_grad():
                v1 = augment(X[idx], args).view(len(idx), -1)
                v2 = augment(X[idx], args).view(len(idx), -1)
            lr = official_lr(args.lr, epoch, it, steps, args.epochs)
            opt.param_groups[0]['lr'] = lr
            opt.param_groups[1]['lr'] = args.clr
            stored = [m[idx] for m in labels]
            lx, lc, new = secu_size_loss(model, v1, v2, pre, duals, stored, epoch)
            for h, lab in enumerate(new):
                duals[h] = secu_dual_update(duals[h], lab)
                labels[h][idx] = lab
            opt.zero_grad()
            (lx + lc).backward()
            opt.step()
            sums += [lx.item(), lc.item()]
            done += 1
            if args.max_steps and done >= args.max_steps:
                print(f'{done} steps in {time.time() - t0:.1f} s', flush=True)
                return
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            pred = model.predict(X.view(n, -1), head=0)
            rec = dict(epoch=epoch + 1, acc=round(float(cluster_acc(y, pred)), 4), nmi=round(float(nmi(y, pred)), 4),
                       loss=[round(v / steps, 4) for v in sums], seconds=round(time.time() - t0, 1),
                       **{k: v for k, v in vars(args).items() if k != 'out'})
            print(json.dumps(rec), flush=True)
            if log:
                log.write(json.dumps(rec) + '\n')
                log.flush()


if __name__ == '__main__':
    main()
