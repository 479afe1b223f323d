import type * as tfc from '@tensorflow/tfjs-core';
import type { HeadOp, ReadoutSpec } from '../model-format.js';
import type { StateValue } from '@clusterflow/core';

/** What an objective's read-outs become in an exported model, and which of them cannot be. */
export interface ExportedReadouts {
  readouts: ReadoutSpec[];
  /** Read-outs that are no function of one sample's features (k-means over the whole dataset), with why. */
  skipped: { name: string; why: string }[];
}

/** What a recipe reads: the checkpoint's state under the objective's prefix, its options, the run's K. */
export interface RecipeInput {
  /** Full checkpoint name of an objective state entry, e.g. 'objective/head0.weight'. */
  name(key: string): string;
  state(key: string): StateValue | undefined;
  options: Record<string, unknown>;
  numClusters: number;
}

type Recipe = (r: RecipeInput) => ExportedReadouts;

/**
 * The read-outs of the built-in objectives as head ops over the checkpoint's
 * tensors: each recipe restates its objective's `predict` (same ops, same
 * order), so an exported model assigns what `eval` does. An objective not listed
 * here (a plugin's) cannot be exported: its read-out is code we do not ship.
 */
export const READOUT_RECIPES: Record<string, Recipe> = {
  // CC: argmax of the softmax cluster head Linear-ReLU-Linear(-Softmax), temperature 1.
  cc: (r) => ({ readouts: [{ name: 'cluster', ops: mlpOps(r, 'clusterHead.'), temperature: 1 }], skipped: [] }),
  // SCAN: 'cluster' is the head with the lowest summed loss over the last epoch (head 0 before any), then every head.
  scan: (r) => {
    const heads = countIndexed(r, (h) => `head${h}.weight`);
    const loss = r.state('headLoss') as Float32Array | undefined;
    const count = r.state('headLossCount') as Int32Array | undefined;
    let best = 0;
    if (loss && count && count[1] !== 0) for (let h = 1; h < heads; h++) if (loss[h] < loss[best]) best = h;
    const head = (h: number, name: string): ReadoutSpec => ({
      name,
      ops: [{ op: 'linear', weight: r.name(`head${h}.weight`), bias: r.name(`head${h}.bias`) }],
      temperature: 1,
    });
    const readouts = [head(best, 'cluster')];
    if (heads > 1) for (let h = 0; h < heads; h++) readouts.push(head(h, `head${h}`));
    return { readouts, skipped: [] };
  },
  'self-label': (r) => {
    const readouts: ReadoutSpec[] = [{ name: 'cluster', ops: [{ op: 'linear', weight: r.name('head.weight'), bias: r.name('head.bias') }], temperature: 1 }];
    if (r.state('teacher.weight'))
      readouts.push({ name: 'teacher', ops: [{ op: 'linear', weight: r.name('teacher.weight'), bias: r.name('teacher.bias') }], temperature: 1 });
    return { readouts, skipped: [] };
  },
  // SeCu: argmax of cos(normalize(projector(x)), normalize(centre)) per head, the head with K = numClusters first;
  // probabilities as the centre loss sees them, softmax(cos / tw).
  secu: (r) => {
    const n = countIndexed(r, (h) => `centers.${h}`);
    const ks = Array.from({ length: n }, (_, h) => (r.state(`centers.${h}`) as tfc.Tensor).shape[1] as number);
    const main = ks.indexOf(r.numClusters);
    const order = [main, ...ks.map((_, h) => h).filter((h) => h !== main)];
    const projection = mlpOps(r, 'projection.');
    return {
      readouts: order.map((h) => ({
        name: `head${h}-k${ks[h]}`,
        ops: [...projection, { op: 'l2normalize' }, { op: 'matmul', weight: r.name(`centers.${h}`), normalizeColumns: true }],
        temperature: (r.options.tw as number | undefined) ?? 0.05,
      })),
      skipped: [],
    };
  },
  // ConCURL: 'prototypes' (argmax of normalize(head(x)) · prototypes) exports; its 'kmeans' read-out is k-means over the whole dataset.
  concurl: (r) => ({
    readouts: [
      {
        name: 'prototypes',
        ops: [...mlpOps(r, 'head.'), { op: 'l2normalize' }, { op: 'matmul', weight: r.name('prototypes') }],
        temperature: (r.options.temperature as number | undefined) ?? 0.1,
      },
    ],
    skipped: [{ name: 'kmeans', why: 'k-means over the whole dataset' }],
  }),
  simclr: () => ({
    readouts: [],
    skipped: [
      { name: 'kmeans', why: 'k-means over the whole dataset' },
      { name: 'kmeans_head', why: 'k-means over the whole dataset' },
    ],
  }),
};

/** How many of `key(0)`, `key(1)`, ... the state holds. */
function countIndexed(r: RecipeInput, key: (i: number) => string): number {
  let n = 0;
  while (r.state(key(n)) !== undefined) n++;
  return n;
}

/**
 * The ops of an mlpHead from its state keys, which follow PyTorch's nn.Sequential
 * numbering: '<i>.weight' (+ '<i>.bias') is a Linear, '<i>.running_mean' marks a
 * BatchNorm, and an index with no state between them is a ReLU.
 */
export function mlpOps(r: RecipeInput, prefix: string): HeadOp[] {
  const ops: HeadOp[] = [];
  let last = -1;
  for (let i = 0; i < 64; i++) if (r.state(`${prefix}${i}.weight`) !== undefined) last = i;
  if (last < 0) throw new Error(`no layers under '${prefix}' in the objective's state`);
  for (let i = 0; i <= last; i++) {
    const k = (s: string) => `${prefix}${i}.${s}`;
    if (r.state(k('running_mean')) !== undefined) {
      ops.push({
        op: 'batchnorm',
        mean: r.name(k('running_mean')),
        variance: r.name(k('running_var')),
        gamma: r.name(k('weight')),
        beta: r.name(k('bias')),
        epsilon: 1e-5,
      });
    } else if (r.state(k('weight')) !== undefined) {
      ops.push({ op: 'linear', weight: r.name(k('weight')), ...(r.state(k('bias')) !== undefined ? { bias: r.name(k('bias')) } : {}) });
    } else {
      ops.push({ op: 'relu' });
    }
  }
  return ops;
}
