import { cpus, release, type as osType } from 'node:os';
import { tf } from '@clusterflow/core';
import type { MachineInfo } from './results.js';

/** The machine a bench ran on, for the header of results.md. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    os: `${osType()} ${release()} (${process.arch})`,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    tfjs: tf.version_core,
  };
}
