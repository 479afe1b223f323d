"""Nearest neighbours by cosine similarity, for the analysis scripts beside it.

Brute force in blocks of rows, so 70k x 70k similarities never sit in memory at once.
A row is never its own neighbour, even where the data holds exact duplicates (Fashion-MNIST
does): a tree search that drops its first hit would keep the row itself when a duplicate
came first.
"""
import numpy as np

ROWS = 2000  # rows of the similarity matrix at a time: 2000 x 70000 float32 is 560 MB


def unit(x):
    """Rows scaled to length 1 (zero rows stay zero)."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def neighbours(x, k):
    """Each row's k most cosine-similar other rows, most similar first: an (N, k) index array."""
    x = unit(x.astype(np.float32))
    out = np.empty((len(x), k), np.int64)
    for i in range(0, len(x), ROWS):
        s = x[i : i + ROWS] @ x.T
        s[np.arange(len(s)), np.arange(i, i + len(s))] = -np.inf
        top = np.argpartition(-s, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
        out[i : i + ROWS] = np.take_along_axis(top, order, axis=1)
    return out


def purity(nb, labels, k=None):
    """The share of neighbours (the first k of each row's) that share the row's label."""
    return (labels[nb[:, :k]] == labels[:, None]).mean()
