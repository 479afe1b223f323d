"""Does a run's own loss early in stage 1 say which seeds end in a poor optimum?

    /usr/bin/python3 scripts/early_loss.py <results.json | events.jsonl> [...] [--epoch 5]

Reads each run's per-epoch record (a bench's or a run's results.json, or a run
folder's events.jsonl while it trains) and prints, for its first stage: every loss
term's epoch mean at `--epoch`, ACC at that epoch, and the stage's last evaluated
ACC (with its epoch). Then, over all runs given, the Spearman rank correlation of
each loss term with ACC at that epoch and with the last ACC. Runs that share one
stage 1 (a study's stage-2 variants) count once. The loss needs no labels, so a pipeline could
pick among seeds with it; ACC is only here to see whether the loss would pick well.
Used for issue 29's poor optima (docs/benchmarks.md).
"""
import argparse
import json
from pathlib import Path

from scipy.stats import spearmanr


def runs_of(path: Path):
    """(name, seed, first-stage epochs) for each run the file records."""
    if path.suffix == '.jsonl':
        events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        start = next(e for e in events if e['type'] == 'run-start')
        epochs = [e for e in events if e['type'] == 'epoch-end']
        yield start['config']['name'], start['config']['seed'], first_stage(epochs)
        return
    data = json.loads(path.read_text())
    for run in data.get('runs', [data]):
        yield run['name'], run['seed'], first_stage(run['perEpoch'])


def first_stage(epochs):
    stage = epochs[0].get('stage')
    return [e for e in epochs if e.get('stage') == stage]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('files', nargs='+', type=Path)
    parser.add_argument('--epoch', type=int, default=5, help='1-based epoch of stage 1 whose loss is read')
    args = parser.parse_args()

    rows = []
    for path in args.files:
        for name, seed, epochs in runs_of(path):
            # By number, not position: a resumed run's record may start later.
            early = next((e for e in epochs if e['epoch'] == args.epoch - 1), None)
            if early is None:
                print(f'{name} seed {seed}: no record of stage 1 epoch {args.epoch}; skipped')
                continue
            if any(r['seed'] == seed and r['loss'] == early['loss'] for r in rows):
                continue  # runs that share one stage 1 (a study's stage-2 variants) count once
            evaluated = [e for e in epochs if 'acc' in e.get('metrics', {})]
            last = evaluated[-1] if evaluated else None
            rows.append({
                'run': f'{name} seed {seed}',
                'seed': seed,
                'loss': early['loss'],
                'accEarly': early['metrics'].get('acc'),
                'accLast': last['metrics']['acc'] if last else None,
                'lastEpoch': last['epoch'] + 1 if last else None,
            })

    terms = sorted({t for r in rows for t in r['loss']})
    fmt = lambda v: '-' if v is None else f'{v:.4f}'
    print(f'stage 1, epoch {args.epoch}: loss terms, ACC then, last evaluated ACC (epoch)')
    print('run | ' + ' | '.join(terms) + ' | ACC then | last ACC (epoch)')
    for r in sorted(rows, key=lambda r: r['loss'].get('total', 0)):
        losses = ' | '.join(fmt(r['loss'].get(t)) for t in terms)
        print(f"{r['run']} | {losses} | {fmt(r['accEarly'])} | {fmt(r['accLast'])} ({r['lastEpoch']})")

    for key, what in (('accEarly', f'ACC at epoch {args.epoch}'), ('accLast', 'the last evaluated ACC')):
        scored = [r for r in rows if r[key] is not None]
        if len(scored) < 3:
            continue
        print(f'Spearman rank correlation with {what}, {len(scored)} runs (negative: lower loss, higher ACC):')
        for t in [t for t in terms if all(t in r['loss'] for r in scored)]:
            rho, p = spearmanr([r['loss'][t] for r in scored], [r[key] for r in scored])
            print(f'  {t}: rho {rho:+.2f} (p {p:.3f})')


if __name__ == '__main__':
    main()
