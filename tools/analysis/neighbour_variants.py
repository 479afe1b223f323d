"""Would other neighbours, or neighbour-smoothed predictions, beat a run's own? From `clusterflow predict` files.

Inputs are what `clusterflow predict --out X.csv --features X.npy --probabilities P.npy`
writes for the 70k Fashion-MNIST (split: all), once for the images and, with
--flipped, once more for the same images mirrored left-right (a data folder whose
idx images are flipped; `--flip-to DIR` writes one). It prints, with the labels:
- kNN purity (cosine, k = 20) of the features, of the flipped images' features, of
  their mean (flip test-time augmentation), and of the features concatenated with
  the centred raw pixels (each L2-normalised, the pixels weighted 0.5);
- with --probabilities, the ACC of the read-out and of its predictions smoothed over
  the features' k nearest neighbours (Q = P/2 + mean of Q over the neighbours / 2,
  three rounds; k = 5, 20, 50): label propagation on the neighbour graph; and the
  read-out's clusters against the labels, to see whether its errors are scattered
  (a neighbour vote could mend them) or whole classes shared between clusters.

Usage (Debian's numpy, pandas, scipy):
  /usr/bin/python3 tools/analysis/neighbour_variants.py --flip-to /tmp/fmnist-flipped --pixels ../shared/data/fashion-mnist
  /usr/bin/python3 tools/analysis/neighbour_variants.py /tmp/cc2.csv /tmp/cc2.npy --flipped /tmp/cc2f.npy \
      --pixels ../shared/data/fashion-mnist [--probabilities /tmp/scan2-p.npy]
"""
import argparse
import gzip
import os
import shutil

import numpy as np
import pandas as pd

from neighbours import neighbours, unit
from neighbours import purity as neighbour_purity
from scan_heads import acc, all_pixels

K = 20


def purity(x, labels, k=K):
    return neighbour_purity(neighbours(x, k), labels)


def flip_folder(src, dst):
    """Copies a Fashion-MNIST folder with every image mirrored left-right (labels unchanged)."""
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        if not name.endswith(".gz"):
            continue
        if "images" in name:
            with gzip.open(os.path.join(src, name)) as f:
                data = f.read()
            images = np.frombuffer(data, np.uint8, offset=16).reshape(-1, 28, 28)[:, :, ::-1]
            with gzip.open(os.path.join(dst, name), "wb") as f:
                f.write(data[:16] + images.tobytes())
        else:
            shutil.copy(os.path.join(src, name), os.path.join(dst, name))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csv", nargs="?", help="predict's assignments CSV (for the labels)")
    p.add_argument("features", nargs="?", help="predict's --features .npy")
    p.add_argument("--flipped", help="the features of the mirrored images (.npy)")
    p.add_argument("--pixels", help="a Fashion-MNIST folder (train then test, as split: all)")
    p.add_argument("--probabilities", help="predict's --probabilities .npy of the main read-out")
    p.add_argument("--flip-to", help="write the mirrored copy of --pixels's folder here, then stop")
    a = p.parse_args()
    if a.flip_to:
        flip_folder(a.pixels, a.flip_to)
        print(f"wrote {a.flip_to}")
        return
    labels = pd.read_csv(a.csv)["label"].to_numpy()
    f = np.load(a.features)
    print(f"features: kNN purity k{K} {purity(f, labels):.3f}")
    if a.flipped:
        g = np.load(a.flipped)
        print(f"flipped images' features: {purity(g, labels):.3f}")
        print(f"mean of both (flip TTA): {purity(unit(f) + unit(g), labels):.3f}")
    if a.pixels:
        px = all_pixels(a.pixels)
        both = np.concatenate([unit(f), 0.5 * unit(px - px.mean(0))], axis=1)
        print(f"features + centred pixels (weight 0.5): {purity(both, labels):.3f}")
    if a.probabilities:
        prob = np.load(a.probabilities)
        clusters = prob.argmax(1)
        print(f"read-out ACC {acc(labels, clusters):.4f}; its clusters (rows) against the labels (columns):")
        counts = np.zeros((prob.shape[1], labels.max() + 1), np.int64)
        np.add.at(counts, (clusters, labels), 1)
        print(counts)
        for k in (5, 20, 50):
            nb = neighbours(f, k)
            q = prob.copy()
            for _ in range(3):
                q = 0.5 * prob + 0.5 * q[nb].mean(1)
            print(f"smoothed over k = {k} neighbours: ACC {acc(labels, q.argmax(1)):.4f}")


if __name__ == "__main__":
    main()
