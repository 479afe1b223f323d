"""Shared parts of the PyTorch twins of clusterflow's CC and SeCu runs (twin.py,
train_torch.py): our MLP with BatchNorm, Contrastive Clustering's heads and losses
as the official code (github.com/Yunfan-Li/Contrastive-Clustering, modules/network.py
and modules/contrastive_loss.py) computes them, SeCu's loss as the official code
(github.com/idstcv/SeCu, secu/builder.py, SeCu.forward) computes it over our
projector, Fashion-MNIST, clustering ACC, and loading what dump-run.ts recorded.

Run with Debian's interpreter (PyTorch 1.13, scikit-learn): /usr/bin/python3.
"""
import gzip
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))
BUNDLED = os.path.join(REPO, 'packages', 'data', 'assets', 'fashion-mnist')
SHARED = os.path.normpath(os.path.join(REPO, '..', 'shared', 'data', 'fashion-mnist'))


def load_fmnist(split='test'):
    """Images [N, 784] float32 in 0..1 (the order clusterflow uses: train then test
    for 'all') and labels [N]."""
    parts = {'test': ['t10k'], 'train': ['train'], 'all': ['train', 't10k']}[split]
    xs, ys = [], []
    for p in parts:
        d = BUNDLED if p == 't10k' and os.path.exists(os.path.join(BUNDLED, 't10k-images-idx3-ubyte.gz')) else SHARED
        with gzip.open(os.path.join(d, f'{p}-images-idx3-ubyte.gz'), 'rb') as f:
            xs.append(np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784))
        with gzip.open(os.path.join(d, f'{p}-labels-idx1-ubyte.gz'), 'rb') as f:
            ys.append(np.frombuffer(f.read(), np.uint8, offset=8))
    return np.concatenate(xs).astype(np.float32) / 255.0, np.concatenate(ys).astype(np.int64)


def cluster_acc(labels, clusters):
    k = max(labels.max(), clusters.max()) + 1
    cm = np.zeros((k, k), np.int64)
    np.add.at(cm, (labels, clusters), 1)
    r, c = linear_sum_assignment(cm, maximize=True)
    return cm[r, c].sum() / len(labels)


def nmi(labels, clusters):
    from sklearn.metrics import normalized_mutual_info_score
    return normalized_mutual_info_score(labels, clusters)


# ---------------------------------------------------------------- models

def mlp_backbone(batch_norm=True, dims=(784, 500, 500, 2000, 128), bn_momentum=0.1, bn_eps=1e-5):
    """clusterflow's `mlp` backbone: Linear - [BN] - ReLU between layers, the last Linear
    bare. Module indices follow clusterflow's state keys ('layers.1.running_mean')."""
    layers = []
    for i in range(len(dims) - 1):
        layers.append(nn.Linear(dims[i], dims[i + 1]))
        if i + 2 < len(dims):
            if batch_norm:
                layers.append(nn.BatchNorm1d(dims[i + 1], momentum=bn_momentum, eps=bn_eps))
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class CCNet(nn.Module):
    """Contrastive Clustering's Network (modules/network.py) over our backbone:
    instance projector Linear-ReLU-Linear, cluster projector Linear-ReLU-Linear-Softmax,
    each view through the backbone on its own (BatchNorm statistics per view)."""

    def __init__(self, backbone, rep_dim=128, feature_dim=128, class_num=10):
        super().__init__()
        self.backbone = backbone
        self.instance_projector = nn.Sequential(nn.Linear(rep_dim, rep_dim), nn.ReLU(), nn.Linear(rep_dim, feature_dim))
        self.cluster_projector = nn.Sequential(nn.Linear(rep_dim, rep_dim), nn.ReLU(), nn.Linear(rep_dim, class_num),
                                               nn.Softmax(dim=1))

    def forward(self, x_i, x_j):
        h_i = self.backbone(x_i)
        h_j = self.backbone(x_j)
        z_i = F.normalize(self.instance_projector(h_i), dim=1)
        z_j = F.normalize(self.instance_projector(h_j), dim=1)
        return z_i, z_j, self.cluster_projector(h_i), self.cluster_projector(h_j)

    @torch.no_grad()
    def predict(self, x, batch=1024):
        """forward_cluster on eval-mode BatchNorm (cluster.py calls model.eval())."""
        was = self.training
        self.eval()
        out = torch.cat([self.cluster_projector(self.backbone(x[i:i + batch])).argmax(1) for i in range(0, len(x), batch)])
        self.train(was)
        return out.numpy()


def _pair_mask(n):
    m = torch.ones(2 * n, 2 * n, dtype=torch.bool)
    m.fill_diagonal_(False)
    idx = torch.arange(n)
    m[idx, n + idx] = False
    m[n + idx, idx] = False
    return m


def cc_instance_loss(z_i, z_j, temperature):
    """The official InstanceLoss: z rows already unit; cross entropy (summed, / 2N) of
    [positive, the 2N-2 negatives] with the positive at index 0."""
    n = z_i.shape[0]
    z = torch.cat((z_i, z_j), 0)
    sim = z @ z.T / temperature
    pos = torch.cat((torch.diag(sim, n), torch.diag(sim, -n))).reshape(2 * n, 1)
    neg = sim[_pair_mask(n)].reshape(2 * n, -1)
    logits = torch.cat((pos, neg), 1)
    return F.cross_entropy(logits, torch.zeros(2 * n, dtype=torch.long), reduction='sum') / (2 * n)


def cc_cluster_loss(c_i, c_j, temperature):
    """The official ClusterLoss: log K + sum p log p per view (p: normalised column sums),
    plus the cross entropy over the 2K cluster columns' cosine similarities.
    Returns (contrast, ne_loss)."""
    k = c_i.shape[1]
    ne = 0.0
    for c in (c_i, c_j):
        p = c.sum(0).view(-1)
        p = p / p.sum()
        ne = ne + math.log(k) + (p * torch.log(p)).sum()
    c = torch.cat((c_i.t(), c_j.t()), 0)
    sim = F.cosine_similarity(c.unsqueeze(1), c.unsqueeze(0), dim=2) / temperature
    pos = torch.cat((torch.diag(sim, k), torch.diag(sim, -k))).reshape(2 * k, 1)
    neg = sim[_pair_mask(k)].reshape(2 * k, -1)
    logits = torch.cat((pos, neg), 1)
    contrast = F.cross_entropy(logits, torch.zeros(2 * k, dtype=torch.long), reduction='sum') / (2 * k)
    return contrast, ne


# ---------------------------------------------------------------- dumps of dump-run.ts

class Dump:
    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, 'manifest.json')) as f:
            self.m = json.load(f)

    def has(self, name):
        return name in self.m['tensors']

    def get(self, name, mmap=False):
        t = self.m['tensors'][name]
        dt = np.float32 if t['dtype'] == 'float32' else np.int32
        fn = os.path.join(self.path, t['file'])
        a = np.memmap(fn, dt, 'r') if mmap else np.fromfile(fn, dt)
        return a.reshape(t['shape'])

    def state(self, prefix):
        p = prefix + '/'
        return {k[len(p):]: self.get(k) for k in self.m['tensors'] if k.startswith(p)}


# clusterflow state key prefix -> torch state_dict key prefix.
_PREFIXES = (
    ('backbone.layers.', 'backbone.'),
    ('objective.instanceHead.', 'instance_projector.'),
    ('objective.clusterHead.', 'cluster_projector.'),
    ('objective.projection.', 'projection.'),
    ('objective.centers.', 'centers.'),
)


def torch_key(ours):
    """clusterflow state key -> (torch state_dict key, transpose?): Linear weights are
    stored [in, out] in clusterflow, [out, in] in torch; SeCu's centers [dim, K] in both.
    (None, False) for what the twin has no parameter or buffer for (SeCu's snapshots
    and host memories)."""
    for a, b in _PREFIXES:
        if ours.startswith(a):
            k = b + ours[len(a):]
            return k, k.endswith('.weight')
    return None, False


def to_torch_layout(ours, v):
    """A recorded array in the layout of the torch tensor it stands for."""
    _, tr = torch_key(ours)
    v = np.asarray(v)
    return v.T if tr and v.ndim == 2 else v


def load_into(model, state, dtype=torch.float32):
    """Assigns a recorded clusterflow state (keys as dump-run.ts writes them) to a torch
    model; every parameter and buffer must be covered."""
    sd = model.state_dict()
    seen = set()
    for ours, v in state.items():
        k, _ = torch_key(ours)
        if k is None or k not in sd:
            continue
        sd[k] = torch.from_numpy(np.ascontiguousarray(to_torch_layout(ours, v))).to(dtype)
        seen.add(k)
    missing = [k for k in sd if k not in seen and not k.endswith('num_batches_tracked')]
    if missing:
        raise KeyError(f'no recorded value for {missing}')
    model.load_state_dict(sd)


# ---------------------------------------------------------------- SeCu

class SecuNet(nn.Module):
    """clusterflow's SeCu over our backbone: projector Linear(f, hidden)-BN-ReLU-Linear(hidden, dim)
    (the official code's encoder.fc, here on top of the backbone's features) and one
    center matrix [dim, K] per head, F.normalize(randn(dim, K), dim=0) at the start."""

    def __init__(self, backbone, ks, feat_dim=128, hidden=512, dim=128):
        super().__init__()
        self.backbone = backbone
        self.projection = nn.Sequential(nn.Linear(feat_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                        nn.Linear(hidden, dim))
        self.centers = nn.ParameterList([nn.Parameter(F.normalize(torch.randn(dim, k), dim=0)) for k in ks])

    def embed(self, x):
        return F.normalize(self.projection(self.backbone(x)), dim=1)

    @torch.no_grad()
    def predict(self, x, head=0, batch=1024):
        """argmax of normalize(g(f(x))) . normalize(C_h) with eval-mode BatchNorm."""
        was = self.training
        self.eval()
        c = F.normalize(self.centers[head], dim=0)
        out = torch.cat([(self.embed(x[i:i + batch]) @ c).argmax(1) for i in range(0, len(x), batch)])
        self.train(was)
        return out.numpy()


def secu_size_loss(model, view1, view2, pre_centers, duals, stored, epoch, tx=0.05, tw=0.05, tau=0.2):
    """The official SeCu.forward (secu/builder.py), size constraint, one process:
    returns (loss_x, loss_c, labels per head). duals: per head [K] (the pre-batch
    values, not changed here); stored: per head the batch's stored labels (epoch >= 1)."""
    criterion = nn.CrossEntropyLoss()
    x1 = model.embed(view1)
    x2 = model.embed(view2)
    idx = torch.arange(len(view1))
    loss_x, loss_c, labels = 0, 0, []
    for i, cen in enumerate(model.centers):
        cur_c = F.normalize(cen, dim=0)
        proj_c1 = x1.clone().detach() @ cur_c
        proj_c2 = x2.clone().detach() @ cur_c
        with torch.no_grad():
            obj_val = -0.5 * (proj_c1 + proj_c2)
            label = torch.argmin(obj_val - duals[i], dim=1)
            cur_label = label if epoch == 0 else stored[i]
        labels.append(label)
        with torch.no_grad():
            l1 = proj_c1.clone().detach()
            l2 = proj_c2.clone().detach()
        l1[idx, label] = proj_c1[idx, label]
        l2[idx, label] = proj_c2[idx, label]
        loss_c += criterion(l1 / tw, label) + criterion(l2 / tw, label)
        px1 = x1 @ pre_centers[i] / tx
        px2 = x2 @ pre_centers[i] / tx
        with torch.no_grad():
            s1 = (1. - tau) * F.softmax(px2, dim=1)
            s2 = (1. - tau) * F.softmax(px1, dim=1)
            s1[idx, cur_label] += tau
            s2[idx, cur_label] += tau
        loss_x -= (torch.mean(torch.sum(F.log_softmax(px1, dim=1) * s1, dim=1)) +
                   torch.mean(torch.sum(F.log_softmax(px2, dim=1) * s2, dim=1)))
    h = len(model.centers)
    return loss_x / (2. * h), loss_c / (2. * h), labels


def secu_dual_update(duals, labels, dual_lr=0.1, lratio=0.9):
    """The official update_dual_mini_batch, on a copy."""
    d = duals.clone()
    k = d.numel()
    idx, cnt = torch.unique(labels, return_counts=True)
    d[idx] -= dual_lr / len(labels) * cnt.to(d.dtype)
    d += dual_lr * lratio / k
    if lratio < 1:
        d[d < 0] = 0
    return d
