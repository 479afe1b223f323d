import { cpus, release, type as osType } from 'node:os';
import { nativeBlasSummary, tf } from '@clusterflow/core';
import type { MachineInfo } from '../report/results.js';

/**
 * The machine a bench ran on, for the header of results.md and results.json. The
 * OpenBLAS core the wasm backend's products run on moves a step's time 3-4x, so
 * it says which (and why that one); asked when a bench starts, not when the CLI
 * loads (the addon and its probe cost every command, --help included, otherwise).
 */
export async function machineInfo(): Promise<MachineInfo> {
  const blas = await nativeBlasSummary();
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
