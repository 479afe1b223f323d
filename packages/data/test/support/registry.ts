import { Registry } from '@clusterflow/core';
import { register } from '@clusterflow/data';

/** A registry holding this package's components (datasets, augmentations, transforms), as a run sees them. */
export function dataRegistry(): Registry {
  const r = new Registry();
  register(r.registrar('builtin:@clusterflow/data'));
  return r;
}
