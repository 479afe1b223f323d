import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry, type Registry } from '@clusterflow/core';
import { register as registerData } from '@clusterflow/data';
import { register as registerBackbones } from '@clusterflow/backbones';
import { register as registerEval } from '@clusterflow/eval';
import { register as registerObjectives } from '@clusterflow/objectives';

/** A registry with every built-in package registered, as the CLI builds it; tests add their own components to it. */
export function builtinRegistry(): Registry {
  const r = createRegistry();
  for (const [name, reg] of Object.entries({ registerData, registerBackbones, registerEval, registerObjectives })) {
    reg(r.registrar(`builtin:${name}`));
  }
  return r;
}

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'data', 'test', 'fixtures');

/** 64 real Fashion-MNIST images with their labels (the data package's test fixture), as a run config's `data`. */
export const FMNIST64 = {
  id: 'idx',
  options: { images: join(fixtures, 'fmnist64-images-idx3-ubyte.gz'), labels: join(fixtures, 'fmnist64-labels-idx1-ubyte.gz') },
} as const;
