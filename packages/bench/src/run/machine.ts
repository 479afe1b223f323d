import { cpus, release, type as osType } from 'node:os';
import { nativeBlasSummary, tf } from '@clusterflow/core';
import type { MachineInfo } from '../report/results.js';

// Loaded once, at import: which OpenBLAS core the wasm backend's products run
// on moves a step's time 3-4x, so results.json says which (and why that one).
const blas = await nativeBlasSummary();

/** The machine a bench ran on, for the header of results.md and results.json. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    os: `${osType()} ${release()} (${process.arch})`,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    tfjs: tf.version_core,
    blas,
  };
}
