"""Gaussian-mixture "embeddings" whose true clusters are known, for configs/embeddings-gmm.yaml
and the worked example of docs/embeddings.md.

8 clusters in 32 dimensions: means drawn from N(0, I), each cluster with its own diagonal
covariance (standard deviations 0.6-0.9 per dimension), so that clusters are separated
(the nearest means are about 5 standard deviations apart along their difference) but not
by a margin a random projection keeps. Writes, as NumPy writes them:
  train.npy (1600 x 32 float32) and train-labels.npy (int64): the data a run clusters;
  new.npy (400 x 32) and new-labels.npy: new samples of the same mixture, to `predict`.
Run with Debian's python3 (it has numpy): /usr/bin/python3 scripts/make_gmm_embeddings.py
"""
import os

import numpy as np

K, D, TRAIN, NEW = 8, 32, 200, 50
OUT = os.path.join(os.path.dirname(__file__), "..", "configs", "data", "embeddings-gmm")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(2026)
means = rng.normal(size=(K, D))
stds = rng.uniform(0.6, 0.9, size=(K, D))


def sample(per_cluster):
    labels = np.repeat(np.arange(K), per_cluster)
    rng.shuffle(labels)
    x = means[labels] + rng.normal(size=(len(labels), D)) * stds[labels]
    return x.astype(np.float32), labels.astype(np.int64)


for name, n in (("train", TRAIN), ("new", NEW)):
    x, y = sample(n)
    np.save(os.path.join(OUT, f"{name}.npy"), x)
    np.save(os.path.join(OUT, f"{name}-labels.npy"), y)

d = np.linalg.norm(means[:, None] - means[None], axis=2)
print(f"wrote {OUT}: nearest means {d[d > 0].min():.2f} apart; per-dimension std 0.6-0.9")
