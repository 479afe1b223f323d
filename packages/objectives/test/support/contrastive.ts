// Shared by the contrastive specs: the PyTorch fixture and tolerant comparisons.
import { readFileSync } from 'node:fs';
import type * as tfc from '@tensorflow/tfjs-core';
import { tf } from '@clusterflow/core';
import { expect } from 'chai';

export type Matrix = number[][];

export interface ContrastiveFixture {
  ntxent: { name: string; tau: number; za: Matrix; zb: Matrix; loss: number; grad_za: Matrix; grad_zb: Matrix }[];
  cluster: {
    name: string;
    tau: number;
    entropyWeight: number;
    ya: Matrix;
    yb: Matrix;
    logits_a: Matrix;
    logits_b: Matrix;
    contrast: number;
    entropy: number;
    loss: number;
    official_loss: number;
    grad_ya: Matrix;
    grad_yb: Matrix;
    grad_logits_a: Matrix;
    grad_logits_b: Matrix;
  }[];
  cc: {
    name: string;
    featureDim: number;
    projectionDim: number;
    numClusters: number;
    entropyWeight: number;
    ha: Matrix;
    hb: Matrix;
    state: Record<string, number[] | Matrix>;
    instance: number;
    cluster: number;
    entropy: number;
    loss: number;
    grad_ha: Matrix;
    grad_hb: Matrix;
    grad_state: Record<string, number[] | Matrix>;
  }[];
  simclr: {
    name: string;
    featureDim: number;
    projectionDim: number;
    temperature: number;
    ha: Matrix;
    hb: Matrix;
    state: Record<string, number[] | Matrix>;
    loss: number;
    grad_ha: Matrix;
    grad_hb: Matrix;
    grad_state: Record<string, number[] | Matrix>;
  }[];
}

export function loadFixture(): ContrastiveFixture {
  return JSON.parse(readFileSync(new URL('../fixtures/contrastive.json', import.meta.url), 'utf8')) as ContrastiveFixture;
}

/** Relative tolerance of every comparison against PyTorch (float64 there, float32 here). */
export const RTOL = 1e-5;

/** |actual - expected| <= RTOL · |expected| for a scalar. */
export function expectClose(actual: number, expected: number, what: string): void {
  expect(Number.isFinite(actual), `${what} is finite`).to.equal(true);
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).to.be.at.most(RTOL * Math.abs(expected) + 1e-7);
}

/**
 * Elementwise |a - e| <= RTOL · max|e| (+1e-7 for tensors that are all but zero,
 * like the gradient of identical rows): relative to the tensor's scale, because
 * single entries of a gradient can be arbitrarily close to 0.
 */
export function expectAllClose(actual: tfc.Tensor, expected: number[] | Matrix, what: string): void {
  const e = (expected as (number | number[])[]).flat() as number[];
  const a = Array.from(actual.dataSync());
  expect(a.length, `${what} size`).to.equal(e.length);
  const scale = Math.max(...e.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    expect(Number.isFinite(a[i]), `${what}[${i}] is finite`).to.equal(true);
    worst = Math.max(worst, Math.abs(a[i] - e[i]));
  }
  expect(worst, `${what}: worst abs error ${worst} at scale ${scale}`).to.be.at.most(RTOL * scale + 1e-7);
}

/** Tensors for a fixture's state map (TF.js layout already). */
export function stateTensors(state: Record<string, number[] | Matrix>): Record<string, tfc.Tensor> {
  const out: Record<string, tfc.Tensor> = {};
  for (const [key, value] of Object.entries(state)) {
    out[key] = Array.isArray(value[0]) ? tf.tensor2d(value as Matrix) : tf.tensor1d(value as number[]);
  }
  return out;
}
