import { basename, extname, resolve } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { MAX_SEED } from '@clusterflow/core';

/** `--backend` of bench, train and eval (worker and predict say it their own way). */
export const backendOption = () =>
  new Option('--backend <name>', "TF.js backend for every run: auto or a registered backend's id (see `clusterflow list`); default: the config's");

/** `--seeds 0,1,2` (and train's `--seed`): distinct non-negative integers the random generator can take. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError(`expected non-negative integers separated by commas, e.g. 0,1,2 (got '${text}')`);
  // Compared as text: 2^53 + 1 would otherwise be rounded to 2^53 without a word.
  const big = seeds.find((s) => BigInt(s) > BigInt(MAX_SEED));
  if (big !== undefined) throw new InvalidArgumentError(`a seed is at most ${MAX_SEED} (the random generator takes 32 bits; got ${big})`);
  return [...new Set(seeds.map(Number))];
}

/** `--only a,b`: at least one name. */
export function parseNames(text: string): string[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`expected run names separated by commas, e.g. cc,simclr (got '${text}')`);
  return names;
}

export function parsePositiveInt(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError(`expected a positive integer (got '${text}')`);
  return Number(text);
}

/** Where bench and train write without `--out`: results/<config name>. */
export const defaultOut = (config: string) => resolve('results', basename(config, extname(config)));
