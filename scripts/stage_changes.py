"""What one stage of a multi-stage run changed, row by row, from the committed assignments.

    /usr/bin/python3 scripts/stage_changes.py <run-folder> [<run-folder> ...] [--from scan] [--to final]

For each run folder (one with assignments-<stage>.csv.gz and assignments.csv.gz, as
scripts/keep-results.sh writes them): ACC before and after, the share of rows whose
matched class changed, how many went from right to wrong and from wrong to right,
the largest and smallest cluster after, and each class's recall change. Each stage's
clusters are matched to the labels by the Hungarian method (as ACC is), so a row
"moved" when its matched class differs, whatever the cluster numbers.
Used for issue 29's question of why self-labelling lowers the pipelines
(docs/benchmarks.md).
"""
import argparse
import csv
import gzip
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

CLASSES = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot']


def read(path: Path):
    with gzip.open(path, 'rt') as f:
        rows = list(csv.DictReader(f))
    return np.array([int(r['label']) for r in rows]), np.array([int(r['cluster']) for r in rows])


def matched(labels, clusters):
    """Each row's class under the Hungarian matching of clusters to labels."""
    k = max(labels.max(), clusters.max()) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(-counts)
    to_class = np.full(k, -1)
    to_class[rows] = cols
    return to_class[clusters]


def assignments_file(folder: Path, stage: str) -> Path:
    return folder / ('assignments.csv.gz' if stage == 'final' else f'assignments-{stage}.csv.gz')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', type=Path)
    parser.add_argument('--from', dest='before', default='scan', help="the earlier stage's name (default: scan)")
    parser.add_argument('--to', dest='after', default='final', help="the later stage's name, or 'final' (default)")
    args = parser.parse_args()
    for folder in args.runs:
        labels, before = read(assignments_file(folder, args.before))
        labels_after, after = read(assignments_file(folder, args.after))
        if not np.array_equal(labels, labels_after):
            raise SystemExit(f'{folder}: the two stages list different rows')
        was, now = matched(labels, before), matched(labels, after)
        right_before, right_after = was == labels, now == labels
        sizes = np.bincount(after, minlength=len(CLASSES))
        print(
            f'{folder.name}: ACC {right_before.mean():.4f} -> {right_after.mean():.4f}; '
            f'moved {(was != now).mean():.3f} of rows; right->wrong {(right_before & ~right_after).sum()}, '
            f'wrong->right {(~right_before & right_after).sum()}; cluster sizes after {sizes.max()} to {sizes.min()}'
        )
        recall = lambda pred: np.array([(pred[labels == c] == c).mean() for c in range(len(CLASSES))])
        change = recall(now) - recall(was)
        print('  recall change: ' + ', '.join(f'{name} {d:+.3f}' for name, d in zip(CLASSES, change)))


if __name__ == '__main__':
    main()
