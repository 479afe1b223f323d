import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { tf, type TensorMap } from '@clusterflow/core';
import type * as tfc from '@tensorflow/tfjs-core';

export interface Fixed {
  shape: number[];
  data: number[];
}

export function fixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export function toTensor(f: Fixed): tfc.Tensor {
  return tf.tensor(f.data, f.shape, 'float32');
}

export function toState(s: Record<string, Fixed>): TensorMap {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, toTensor(v)]));
}

export function disposeState(s: TensorMap): void {
  for (const t of Object.values(s)) t.dispose();
}

/**
 * Expects |actual - expected| <= atol + rtol * |expected| elementwise, and reports
 * the worst element so a failure says by how much.
 */
export function expectClose(actual: tfc.Tensor, expected: Fixed, rtol = 1e-4, atol = 1e-5, what = ''): number {
  expect(actual.shape, `${what} shape`).to.deep.equal(expected.shape);
  const a = actual.dataSync();
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i] - expected.data[i]) - (atol + rtol * Math.abs(expected.data[i]));
    if (excess > worst || Number.isNaN(a[i])) {
      worst = Number.isNaN(a[i]) ? Infinity : excess;
      worstAt = i;
    }
  }
  expect(worstAt, `${what} worst at ${worstAt}: ${a[worstAt]} vs ${expected.data[worstAt]}`).to.equal(-1);
  return maxRelError(a, expected.data);
}

/** max |a - e| / max |e|: one number to report how close a whole tensor came. */
export function maxRelError(a: ArrayLike<number>, e: number[]): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - e[i]));
    scale = Math.max(scale, Math.abs(e[i]));
  }
  return diff / scale;
}
