import { hostname } from 'node:os';
import type { RunConfig } from '@clusterflow/core';
import type { LogLine } from '@clusterflow/bench';

/** The run config a made-up run log names: CC on the MLP, 2 epochs. */
export const RUN_CONFIG = {
  name: 'cc',
  seed: 0,
  objective: [{ id: 'cc' }],
  backbone: { id: 'mlp' },
  data: { id: 'fashion-mnist' },
  train: { epochs: 2 },
} as unknown as RunConfig;

/** A pid no process has: the writer of a log it names is gone. */
export const DEAD_WRITER = { pid: 2 ** 30, host: hostname() };

/** A log's first line; `t` tells one run's start from the next. */
export const runStart = (writer = DEAD_WRITER, t = 1): LogLine => ({
  t,
  type: 'run-start',
  config: RUN_CONFIG,
  backend: 'cpu',
  backendSummary: '',
  tfjsVersion: '',
  numSamples: 4,
  numClusters: 2,
  numParameters: 1,
  writer,
});

/** Lines as an events.jsonl holds them. */
export const jsonl = (lines: LogLine[]) => lines.map((l) => JSON.stringify(l) + '\n').join('');
