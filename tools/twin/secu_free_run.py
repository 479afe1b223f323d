#!/usr/bin/python3
"""Free run of SeCu's official recipe against a recorded clusterflow SeCu run (size
constraint, dump-run.ts with an SGD optimizer and the warm-up cosine schedule).

From clusterflow's initial weights, on the recorded batches (same views, same indices),
the twin trains as the official main.py does: torch.optim.SGD with two groups (encoder
at the lr of adjust_learning_rate, centers at a constant clr), momentum and weight decay
on both; per epoch the centers' snapshot (get_centers) and, after the epoch, the counters'
reset; per step the official assignment, dual update and label memory (twin_common's
secu_size_loss and secu_dual_update). Across steps and epochs it compares:
  - the learning rates of every step (clusterflow's recorded groups against the official
    formula),
  - the loss parts of every step,
  - at the recorded states: weights, center norms, duals and the label memory.
A float64 twin runs beside the float32 one: how far float32 and float64 drift apart is
the yardstick for how far clusterflow and the float32 twin may.

Usage, from the repository root:
  node --conditions=source --import=tsx tools/twin/dump-run.ts --out /tmp/secu-sgd \\
    --secu '{"constraint":"size"}' --optimizer '{"id":"sgd","options":{"lr":0.2,"momentum":0.9,"weightDecay":0.0001}}' \\
    --schedule '{"id":"warmup-cosine","options":{"frozenEpochs":1,"warmupEpochs":11}}' --epochs 20 \\
    --steps 156 --grad-steps '' --state-steps 1,39,40,78,117,156
  /usr/bin/python3 tools/twin/secu_free_run.py /tmp/secu-sgd [--our-lrs]
--our-lrs: the twin takes clusterflow's recorded encoder lr at every step instead of the
official formula's, so that what is left is not the schedule.
"""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from twin import build, objective_of, rel, secu_ks
from twin_common import Dump, cluster_acc, load_fmnist, load_into, secu_dual_update, secu_size_loss, to_torch_layout, \
    torch_key


def official_lr(base_lr, epoch, iteration, num_iter, epochs, warmup_epoch=11):
    """main.py's adjust_learning_rate, for the encoder group."""
    warmup_iter = warmup_epoch * num_iter
    current_iter = iteration + epoch * num_iter
    max_iter = epochs * num_iter
    lr = base_lr * (1 + math.cos(math.pi * (current_iter - warmup_iter) / (max_iter - warmup_iter))) / 2
    if epoch < warmup_epoch:
        lr = 0 if epoch == 0 else base_lr * max(1, current_iter - num_iter) / (warmup_iter - num_iter)
    return lr


class Twin:
    def __init__(self, d, dtype, ks, opts, sgd):
        self.dtype = dtype
        self.model = build(d, dtype)
        load_into(self.model, d.state('init'), dtype)
        self.model.train()
        centers = [p for n, p in self.model.named_parameters() if n.startswith('centers.')]
        encoder = [p for n, p in self.model.named_parameters() if not n.startswith('centers.')]
        self.opt = torch.optim.SGD([{'params': encoder, 'lr': sgd['lr']}, {'params': centers, 'lr': opts.get('clr', 1.2)}],
                                   weight_decay=sgd.get('weightDecay', 5e-4), momentum=sgd.get('momentum', 0.9))
        n = d.m['numSamples']
        self.labels = [torch.ones(n, dtype=torch.long) for _ in ks]
        self.duals = [torch.zeros(k, dtype=dtype) for k in ks]
        self.pre = None

    def epoch_start(self):
        self.pre = [F.normalize(c.detach().clone(), dim=0) for c in self.model.centers]

    def step(self, v, idx, epoch, lr, clr, o):
        self.opt.param_groups[0]['lr'] = lr
        self.opt.param_groups[1]['lr'] = clr
        v = torch.from_numpy(np.array(v)).to(self.dtype)
        stored = [m[idx] for m in self.labels]
        lx, lc, labels = secu_size_loss(self.model, v[0], v[1], self.pre, self.duals, stored, epoch,
                                        tx=o['tx'], tw=o['tw'], tau=o['tau'])
        for h, lab in enumerate(labels):
            self.duals[h] = secu_dual_update(self.duals[h], lab, o['dual_lr'], o['lratio'])
            self.labels[h][idx] = lab
        self.opt.zero_grad()
        (lx + lc).backward()
        self.opt.step()
        return lx.item(), lc.item()


def main(path, our_lrs=False):
    d = Dump(path)
    _, opts = objective_of(d)
    ks = secu_ks(opts)
    sgd = d.m['config']['optimizer']['options']
    if d.m['config']['optimizer']['id'] != 'sgd':
        raise SystemExit('secu_free_run.py replays the official SGD recipe: record the run with an sgd optimizer')
    o = dict(tx=opts.get('tx', 0.05), tw=opts.get('tw', 0.05), tau=opts.get('tau', 0.2),
             dual_lr=opts.get('dualLr', 0.1), lratio=opts.get('lratio', 0.9))
    clr = opts.get('clr', 1.2)
    spe = d.m['numSamples'] // d.m['batchSize']
    epochs = d.m.get('scheduleEpochs') or math.ceil(d.m['steps'] / spe)
    twins = {'t32': Twin(d, torch.float32, ks, opts, sgd), 't64': Twin(d, torch.float64, ks, opts, sgd)}
    views = d.get('views', mmap=True)
    idx_all = d.get('indices').astype(np.int64)
    state_steps = sorted({int(k.split('/')[0][5:]) for k in d.m['tensors'] if k.startswith('after')})
    worst_lr = 0.0
    for s in range(d.m['steps']):
        epoch, it = divmod(s, spe)
        lr = official_lr(sgd['lr'], epoch, it, spe, epochs)
        ours_lrs = d.m['lrs'][s]  # groups: backbone, centers, projection
        worst_lr = max(worst_lr, abs(ours_lrs[0] - lr), abs(ours_lrs[2] - lr), abs(ours_lrs[1] - clr))
        if our_lrs:
            lr = ours_lrs[0]  # the twin follows clusterflow's schedule, to tell the schedule from the rest
        out = {}
        for name, t in twins.items():
            if it == 0:
                t.epoch_start()
            out[name] = t.step(views[s], torch.from_numpy(idx_all[s]), epoch, lr, clr, o)
        ts = d.m['losses'][s]
        if it % 13 == 0 or it == spe - 1:
            print(f'step {s:4d} (epoch {epoch}, lr {lr:.5f} ours {ours_lrs[0]:.5f}): '
                  f'repr cf {ts["representation"]:.4f} t32 {out["t32"][0]:.4f} t64 {out["t64"][0]:.4f} | '
                  f'center cf {ts["center"]:.4f} t32 {out["t32"][1]:.4f} t64 {out["t64"][1]:.4f}')
        if (s + 1) in state_steps:
            report(d, s + 1, twins, ks, idx_all)
    print(f'learning rates: max |clusterflow - official| over {d.m["steps"]} steps {worst_lr:.2e}')
    split = d.m['config']['data']['options'].get('split', 'test')
    x, y = load_fmnist(split)
    xt = torch.from_numpy(x)
    name = d.m['readouts'][0]
    head = [f'head{h}-k{k}' for h, k in enumerate(ks)].index(name)
    ours = d.get(f'predict/{name}')
    p32 = twins['t32'].model.predict(xt, head)
    p64 = twins['t64'].model.predict(xt.double(), head)
    print(f'end ({name}): ACC clusterflow {cluster_acc(y, ours):.4f}, t32 {cluster_acc(y, p32):.4f}, '
          f't64 {cluster_acc(y, p64):.4f}')


def report(d, s, twins, ks, idx_all):
    st = d.state(f'after{s}')
    sd = {n: t.model.state_dict() for n, t in twins.items()}

    def wdiff(a, b):
        errs = [rel(to_torch_layout(o_, v_) if a is None else a[torch_key(o_)[0]].double().numpy(),
                    b[torch_key(o_)[0]].double().numpy())
                for o_, v_ in st.items() if torch_key(o_)[0] in b and 'running' not in o_]
        return float(np.median(errs)), float(np.max(errs))

    m_cf, x_cf = wdiff(None, sd['t64'])
    m_32, x_32 = wdiff(sd['t32'], sd['t64'])
    print(f'  after step {s}: weights rel.diff to t64 median/max: clusterflow {m_cf:.1e}/{x_cf:.1e}, t32 {m_32:.1e}/{x_32:.1e}')
    for h in (0, len(ks) - 1):
        cn_cf = np.linalg.norm(st[f'objective.centers.{h}'], axis=0)
        cn_32 = twins['t32'].model.centers[h].detach().norm(dim=0).numpy()
        cn_64 = twins['t64'].model.centers[h].detach().norm(dim=0).double().numpy()
        du_cf = st[f'objective.duals.{h}']
        du_32 = twins['t32'].duals[h].numpy()
        du_64 = twins['t64'].duals[h].numpy()
        lab = lambda t: t.labels[h].numpy()
        print(f'    head {h} (K={ks[h]}): center norm mean cf {cn_cf.mean():.4f} t32 {cn_32.mean():.4f} t64 {cn_64.mean():.4f}; '
              f'duals mean cf {du_cf.mean():.4f} t32 {du_32.mean():.4f} t64 {du_64.mean():.4f}, '
              f'max|cf-t64| {np.abs(du_cf - du_64).max():.1e} max|t32-t64| {np.abs(du_32 - du_64).max():.1e}; '
              f'labels = t64: cf {np.mean(st[f"objective.labels.{h}"] == lab(twins["t64"])):.4f} '
              f't32 {np.mean(lab(twins["t32"]) == lab(twins["t64"])):.4f}')


if __name__ == '__main__':
    torch.set_num_threads(1)
    torch.manual_seed(0)
    main(sys.argv[1], our_lrs='--our-lrs' in sys.argv[2:])
