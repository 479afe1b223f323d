"""Recomputes every committed result with scikit-learn (the TypeScript twin is scripts/check-results.ts).

    /usr/bin/python3 scripts/check_results.py [results]

ACC is the Hungarian matching of clusters to labels (scipy), NMI and ARI are scikit-learn's.
"""
import csv
import gzip
import json
import re
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def accuracy(labels, clusters):
    k = max(labels.max(), clusters.max()) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (clusters, labels), 1)
    rows, cols = linear_sum_assignment(-counts)
    return counts[rows, cols].sum() / len(labels)


def main(root: Path) -> int:
    wrong = checked = 0
    for file in sorted(root.rglob('results.json')):
        for run in json.loads(file.read_text()).get('runs', []):
            if run['status'] != 'ok':
                continue
            run_id = f"{run['name']}-seed{run['seed']}"
            run_dir = file.parent / run.get('dir', run_id)
            # The run's final metrics, then each earlier stage's (a multi-stage run).
            claims = [(run_id, run['metrics'], 'assignments.csv.gz')]
            for stage in run.get('stages', [])[:-1]:
                if stage['metrics']:
                    claims.append((f"{run_id} stage {stage['name']}", stage['metrics'], 'assignments-' + re.sub(r'[^\w.-]+', '_', stage['name']) + '.csv.gz'))
            for name, stated_metrics, file_name in claims:
                path = next(p for p in [run_dir / file_name, file.parent / file_name] if p.exists())
                with gzip.open(path, 'rt') as f:
                    rows = list(csv.DictReader(f))
                labels = np.array([int(r['label']) for r in rows])
                clusters = np.array([int(r['cluster']) for r in rows])
                recomputed = {'acc': accuracy(labels, clusters), 'nmi': normalized_mutual_info_score(labels, clusters), 'ari': adjusted_rand_score(labels, clusters)}
                for metric, value in recomputed.items():
                    stated = stated_metrics.get(metric)
                    if stated is None:
                        continue
                    ok = abs(stated - value) <= 1e-4
                    checked += 1
                    wrong += not ok
                    print(f"{'ok  ' if ok else 'FAIL'} {file.relative_to(root)} {name} {metric}: stated {stated:.4f}, recomputed {value:.4f}")
    print(f'{checked} metrics checked, {wrong} wrong')
    return 1 if wrong else 0


if __name__ == '__main__':
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / 'results')))
