#!/usr/bin/python3
"""Step-by-step comparison of a recorded clusterflow CC or SeCu run (dump-run.ts) with
its PyTorch twin: our MLP with BatchNorm, the official CC heads and losses or the
official SeCu loss (twin_common.py), the same initial weights and the same
augmented batches.

1. Teacher-forced: at each recorded step, the twin is set to clusterflow's state
   before that step and fed the same two views; loss parts and every gradient are
   compared, with a float64 twin as the judge of float32 noise.
2. Free run: from the same initial weights, the twin trains with torch.optim.Adam on
   the recorded batches; loss curves, weights at the recorded steps, and the
   eval-mode clustering at the end (ACC, agreement) are compared.
3. Read-out: the twin loaded with clusterflow's final state must predict what
   clusterflow predicted (eval-mode BatchNorm, argmax of the cluster head).
SeCu (size constraint only): 1 and 3, where step 1 also compares each head's labels
and the dual variables after the step with the official assignment and dual update;
the recorded state before a step includes SeCu's snapshots, duals and label memory.

Usage (Debian's interpreter has PyTorch), from the repository root:
  node --conditions=source --import=tsx tools/twin/dump-run.ts --out /tmp/twin-cc
  /usr/bin/python3 tools/twin/twin.py /tmp/twin-cc
"""
import math
import sys

import numpy as np
import torch

from twin_common import (CCNet, Dump, SecuNet, cc_cluster_loss, cc_instance_loss, cluster_acc, load_fmnist,
                         load_into, mlp_backbone, secu_dual_update, secu_size_loss, to_torch_layout, torch_key)

torch.manual_seed(0)


def objective_of(d):
    o = d.m['config']['objective'][0]
    return o['id'], o.get('options', {})


def secu_ks(opts, k=10):
    return opts.get('ks') or [(i + 1) * k for i in range(opts.get('numHeads', 10))]


def build(d, dtype):
    bb = d.m['config']['backbone']['options']
    backbone = mlp_backbone(batch_norm=bb.get('batchNorm', True),
                            dims=(784, *bb.get('hidden', [500, 500, 2000]), bb.get('featureDim', 128)))
    oid, opts = objective_of(d)
    if oid == 'cc':
        return CCNet(backbone, rep_dim=bb.get('featureDim', 128), class_num=10).to(dtype)
    if oid == 'secu':
        return SecuNet(backbone, secu_ks(opts), feat_dim=bb.get('featureDim', 128), hidden=opts.get('hidden', 512),
                       dim=opts.get('dim', 128)).to(dtype)
    raise SystemExit(f'twin.py knows cc and secu, not {oid}')


def cc_parts(model, xi, xj):
    z_i, z_j, c_i, c_j = model(xi, xj)
    inst = cc_instance_loss(z_i, z_j, 0.5)
    contrast, ne = cc_cluster_loss(c_i, c_j, 1.0)
    return inst, contrast, ne


def rel(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def grads_of(model, dump, step, dtype):
    load_into(model, dump.state(f'before{step}'), dtype)
    model.train()
    v = torch.from_numpy(np.array(dump.get('views', mmap=True)[step])).to(dtype)
    model.zero_grad()
    inst, contrast, ne = cc_parts(model, v[0], v[1])
    (inst + contrast + ne).backward()
    g = {k: p.grad.detach().double().numpy() for k, p in model.named_parameters()}
    rs = {k: b.detach().double().numpy() for k, b in model.state_dict().items() if 'running' in k}
    return (inst.item(), contrast.item(), ne.item()), g, rs


def compare_grads(d, s, g32, g64, worst_ts, worst_32):
    """Prints a line per gradient of step s (ours and torch float32 against float64) and returns the worst errors."""
    lines = []
    for ours, gts in d.state(f'grad{s}').items():
        k, _ = torch_key(ours)
        gts = to_torch_layout(ours, gts)
        if g64.get(k) is None or np.linalg.norm(g64[k]) < 1e-10:
            # No true gradient: a bias right before BatchNorm (the normalisation removes it) or an unused parameter.
            lines.append(f'    {k:32s} |g| {0 if g64.get(k) is None else np.linalg.norm(g64[k]):.1e} (0 up to rounding)  '
                         f'clusterflow |g| {np.linalg.norm(gts):.1e}')
            continue
        e_ts, e_32 = rel(gts, g64[k]), rel(g32[k], g64[k])
        worst_ts, worst_32 = max(worst_ts, e_ts), max(worst_32, e_32)
        lines.append(f'    {k:32s} |g| {np.linalg.norm(g64[k]):.3e}  rel.err clusterflow {e_ts:.1e}  torch32 {e_32:.1e}')
    print('\n'.join(lines))
    return worst_ts, worst_32


def state_after(d, s):
    """The state the run dumped after step s, or None where it dumped none."""
    after = f'after{s + 1}'
    return d.state(after) if any(k.startswith(after + '/') for k in d.m['tensors']) else None


def teacher_forced(d):
    steps = sorted({int(k.split('/')[0][4:]) for k in d.m['tensors'] if k.startswith('grad')})
    m64 = build(d, torch.float64)
    m32 = build(d, torch.float32)
    k2 = 2 * math.log(10)
    worst_ts, worst_32 = 0.0, 0.0
    for s in steps:
        (i64, c64, n64), g64, rs64 = grads_of(m64, d, s, torch.float64)
        (i32, c32, n32), g32, _ = grads_of(m32, d, s, torch.float32)
        ts = d.m['losses'][s]
        print(f'step {s}: instance ts {ts["instance"]:.7f} torch64 {i64:.7f} | cluster ts {ts["cluster"]:.7f} '
              f'torch64 {c64:.7f} | entropy part ts {ts["entropy"]:.7f} official ne-2logK {n64 - k2:.7f}')
        worst_ts, worst_32 = compare_grads(d, s, g32, g64, worst_ts, worst_32)
        aft = state_after(d, s)
        if aft is not None:
            errs = []
            for ours, v in aft.items():
                k, _ = torch_key(ours)
                if k in rs64:
                    errs.append(rel(v, rs64[k]))
            print(f'    BatchNorm running stats after the step: max rel.err {max(errs):.1e}')
    print(f'teacher-forced: worst gradient rel.err clusterflow vs float64 {worst_ts:.1e}, torch32 vs float64 {worst_32:.1e}')


def free_run(d, split):
    """The twin trains on its own (float32, and float64 as the judge of rounding) from
    clusterflow's initial weights on the recorded batches."""
    lr = d.m['config']['optimizer']['options'].get('lr', 3e-4)
    models, opts = {}, {}
    for name, dt in (('t32', torch.float32), ('t64', torch.float64)):
        models[name] = build(d, dt)
        load_into(models[name], d.state('init'), dt)
        models[name].train()
        opts[name] = torch.optim.Adam(models[name].parameters(), lr=lr)
    views = d.get('views', mmap=True)
    n = d.m['steps']
    k2 = 2 * math.log(10)
    state_steps = sorted({int(k.split('/')[0][5:]) for k in d.m['tensors'] if k.startswith('after')})
    diffs = []

    def wdiff(state_a, sd_b):
        errs = [rel(to_torch_layout(o, v_), sd_b[torch_key(o)[0]].double().numpy())
                for o, v_ in state_a.items() if torch_key(o)[0] in sd_b and 'running' not in o]
        return float(np.median(errs))

    for s in range(n):
        out = {}
        for name, model in models.items():
            dt = torch.float64 if name == 't64' else torch.float32
            v = torch.from_numpy(np.array(views[s])).to(dt)
            opts[name].zero_grad()
            inst, contrast, ne = cc_parts(model, v[0], v[1])
            (inst + contrast + ne).backward()
            opts[name].step()
            out[name] = (inst.item(), contrast.item(), ne.item() - k2)
        ts = d.m['losses'][s]
        if s % 20 == 0 or s == n - 1:
            print(f'free run step {s}: total clusterflow {ts["total"]:.4f} torch32 {sum(out["t32"]):.4f} '
                  f'torch64 {sum(out["t64"]):.4f}')
        diffs.append([abs(ts['instance'] - out['t32'][0]), abs(ts['cluster'] - out['t32'][1]),
                      abs(ts['entropy'] - out['t32'][2]), abs(out['t64'][0] - out['t32'][0])])
        if (s + 1) in state_steps:
            ours = d.state(f'after{s + 1}')
            sd32 = models['t32'].state_dict()
            sd64 = models['t64'].state_dict()
            # torch32's weights in clusterflow's layout (transposing twice is the identity).
            as32 = {o: to_torch_layout(o, sd32[torch_key(o)[0]].numpy()) for o in ours if torch_key(o)[0] in sd32}
            print(f'free run, after step {s + 1}: median weight rel.diff clusterflow-torch32 {wdiff(ours, sd32):.1e}, '
                  f'clusterflow-torch64 {wdiff(ours, sd64):.1e}, torch32-torch64 {wdiff(as32, sd64):.1e}')
    diffs = np.array(diffs)
    print(f'free run: max |loss part difference| clusterflow-torch32 over {n} steps: instance {diffs[:, 0].max():.1e}, '
          f'cluster {diffs[:, 1].max():.1e}, entropy {diffs[:, 2].max():.1e}; torch32-torch64 instance {diffs[:, 3].max():.1e}')
    x, y = load_fmnist(split)
    xt = torch.from_numpy(x)
    ours_pred = d.get('predict/cluster')
    p32 = models['t32'].predict(xt)
    p64 = models['t64'].predict(xt.double())
    print(f'free run end: ACC clusterflow {cluster_acc(y, ours_pred):.4f}, torch32 {cluster_acc(y, p32):.4f}, '
          f'torch64 {cluster_acc(y, p64):.4f}; same cluster clusterflow-torch32 {np.mean(ours_pred == p32):.4f}, '
          f'torch32-torch64 {np.mean(p32 == p64):.4f}')
    # Read-out check: clusterflow's own final weights in the twin.
    m2 = build(d, torch.float32)
    load_into(m2, d.state('final'))
    p2 = m2.predict(xt)
    print(f'read-out: the twin with clusterflow\'s final state predicts clusterflow\'s cluster for {np.mean(p2 == ours_pred):.5f} '
          f'of the samples; a train-mode BatchNorm read-out would agree for '
          f'{np.mean(train_mode_predict(m2, xt) == ours_pred):.4f}')


@torch.no_grad()
def train_mode_predict(model, x, batch=1024):
    # A copy, so that the running statistics are not moved.
    import copy
    m = copy.deepcopy(model)
    m.train()
    return torch.cat([m.cluster_projector(m.backbone(x[i:i + batch])).argmax(1) for i in range(0, len(x), batch)]).numpy()


def secu_teacher_forced(d):
    """Each recorded SeCu step replayed from clusterflow's state before it, in float64
    (the judge) and float32: loss parts, gradients, each head's labels (against what
    clusterflow wrote into its memory) and the duals after the step."""
    _, opts = objective_of(d)
    if opts.get('constraint', 'size') != 'size':
        raise SystemExit('the SeCu twin covers the size constraint only')
    ks = secu_ks(opts)
    tau, tx, tw = opts.get('tau', 0.2), opts.get('tx', 0.05), opts.get('tw', 0.05)
    dual_lr, lratio = opts.get('dualLr', 0.1), opts.get('lratio', 0.9)
    spe = d.m['numSamples'] // d.m['batchSize']
    steps = sorted({int(k.split('/')[0][4:]) for k in d.m['tensors'] if k.startswith('grad')})
    models = {torch.float64: build(d, torch.float64), torch.float32: build(d, torch.float32)}
    idx_all = d.get('indices')
    worst_ts, worst_32 = 0.0, 0.0
    for s in steps:
        epoch = s // spe
        st = d.state(f'before{s}')
        idx = idx_all[s]
        res = {}
        for dt, model in models.items():
            load_into(model, st, dt)
            model.train()
            v = torch.from_numpy(np.array(d.get('views', mmap=True)[s])).to(dt)
            pre = [torch.from_numpy(st[f'objective.snapshot.{h}']).to(dt) for h in range(len(ks))]
            duals = [torch.from_numpy(st[f'objective.duals.{h}']).to(dt) for h in range(len(ks))]
            stored = [torch.from_numpy(st[f'objective.labels.{h}'][idx].astype(np.int64)) for h in range(len(ks))]
            model.zero_grad()
            lx, lc, labels = secu_size_loss(model, v[0], v[1], pre, duals, stored, epoch, tx=tx, tw=tw, tau=tau)
            (lx + lc).backward()
            g = {k: (p.grad.detach().double().numpy() if p.grad is not None else None) for k, p in model.named_parameters()}
            res[dt] = (lx.item(), lc.item(), labels, g, duals)
        lx64, lc64, lab64, g64, duals64 = res[torch.float64]
        _, _, lab32, g32, _ = res[torch.float32]
        ts = d.m['losses'][s]
        print(f'step {s} (epoch {epoch}): representation ts {ts["representation"]:.7f} torch64 {lx64:.7f} | '
              f'center ts {ts["center"]:.7f} torch64 {lc64:.7f}')
        worst_ts, worst_32 = compare_grads(d, s, g32, g64, worst_ts, worst_32)
        aft = state_after(d, s)
        if aft is not None:
            same_ts = np.mean([np.mean(aft[f'objective.labels.{h}'][idx] == lab64[h].numpy()) for h in range(len(ks))])
            same_32 = np.mean([np.mean(lab32[h].numpy() == lab64[h].numpy()) for h in range(len(ks))])
            dual_err = max(float(np.abs(aft[f'objective.duals.{h}'] -
                                        secu_dual_update(duals64[h], lab64[h], dual_lr, lratio).numpy()).max())
                           for h in range(len(ks)))
            print(f'    labels (all heads): clusterflow = torch64 for {same_ts:.5f}, torch32 = torch64 for {same_32:.5f}; '
                  f'duals after the step: max |clusterflow - official update of the torch64 labels| {dual_err:.1e}')
    print(f'teacher-forced: worst gradient rel.err clusterflow vs float64 {worst_ts:.1e}, torch32 vs float64 {worst_32:.1e}')


def secu_readout(d, split):
    x, y = load_fmnist(split)
    m = build(d, torch.float32)
    load_into(m, d.state('final'))
    name = d.m['readouts'][0]
    ks = secu_ks(objective_of(d)[1])
    head = [f'head{h}-k{k}' for h, k in enumerate(ks)].index(name)
    ours = d.get(f'predict/{name}')
    p = m.predict(torch.from_numpy(x), head)
    print(f'read-out ({name}): ACC clusterflow {cluster_acc(y, ours):.4f}; the twin with clusterflow\'s final state '
          f'predicts clusterflow\'s cluster for {np.mean(p == ours):.5f} of the samples')


if __name__ == '__main__':
    d = Dump(sys.argv[1])
    split = d.m['config']['data']['options'].get('split', 'test')
    torch.set_num_threads(1)
    if objective_of(d)[0] == 'secu':
        secu_teacher_forced(d)
        secu_readout(d, split)
    else:
        teacher_forced(d)
        free_run(d, split)
