"""What SCAN's heads and a backbone's neighbours say, from `clusterflow predict` files.

Reads one or more `predict --out X.csv --features X.npy` pairs (a SCAN checkpoint's
CSV has a cluster_head<h> / confidence_head<h> column pair per head) and prints:
- kNN purity of the features (cosine, k = 1, 5, 10, 20, 50) and, with --pixels, of
  Fashion-MNIST's raw pixels as the baseline a representation should beat;
- per head, three label-free scores a head choice could use (mean NMI with the other
  heads, mean confidence, the share of its 20 feature-space neighbours in the same
  cluster) beside the head's ACC against the labels, and which head each score picks.

Usage (Debian's scikit-learn, pandas, scipy):
  /usr/bin/python3 tools/analysis/scan_heads.py /tmp/seed2.csv:/tmp/seed2.npy [--pixels ../shared/data/fashion-mnist]
"""
import argparse
import gzip
import os

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import normalized_mutual_info_score

from neighbours import neighbours, purity

KS = (1, 5, 10, 20, 50)


def acc(labels, clusters):
    """Clustering accuracy: the best one-to-one map of clusters to labels (Hungarian)."""
    k = max(labels.max(), clusters.max()) + 1
    m = np.zeros((k, k))
    np.add.at(m, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(-m)
    return m[rows, cols].sum() / len(labels)


def purity_line(name, nb, labels):
    return f"{name}: kNN purity " + " ".join(f"k{k} {purity(nb, labels, k):.3f}" for k in KS)


def idx_images(path):
    with gzip.open(path) as f:
        data = f.read()
    return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255


def all_pixels(folder):
    """Fashion-MNIST's 70k images in [0, 1], train then test: the order of `split: all`."""
    return np.concatenate([idx_images(os.path.join(folder, f"{s}-images-idx3-ubyte.gz")) for s in ("train", "t10k")])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pairs", nargs="+", help="CSV:NPY pairs written by clusterflow predict --out --features")
    p.add_argument("--pixels", help="a Fashion-MNIST folder: also the raw pixels' kNN purity (train then test, as split: all)")
    a = p.parse_args()
    labels = None
    for pair in a.pairs:
        csv, npy = pair.split(":")
        d = pd.read_csv(csv)
        labels = d.label.values
        nb = neighbours(np.load(npy), max(KS))
        print(purity_line(os.path.basename(npy), nb, labels))
        heads = sorted(int(c[len("cluster_head"):]) for c in d.columns if c.startswith("cluster_head"))
        if not heads:
            continue
        ids = {h: d[f"cluster_head{h}"].values for h in heads}
        scores = {
            "agreement": {h: np.mean([normalized_mutual_info_score(ids[h], ids[o]) for o in heads if o != h]) for h in heads},
            "confidence": {h: d[f"confidence_head{h}"].values.mean() for h in heads},
            "neighbours": {h: (ids[h][nb[:, :20]] == ids[h][:, None]).mean() for h in heads},
        }
        accs = {h: acc(labels, ids[h]) for h in heads}
        for h in heads:
            print(f"  head {h}: " + " ".join(f"{s} {v[h]:.4f}" for s, v in scores.items()) + f" | acc {accs[h]:.4f}")
        for s, v in scores.items():
            best = max(heads, key=lambda h: v[h])
            print(f"  highest {s}: head {best}, acc {accs[best]:.4f} (best head {max(accs.values()):.4f})")
    if a.pixels and labels is not None:
        print(purity_line("pixels", neighbours(all_pixels(a.pixels), max(KS)), labels))


if __name__ == "__main__":
    main()
