import type { ComponentRefConfig } from '@clusterflow/core';

/** One entry of a menu on the page: what the user sees, and the component it stands for. */
export interface Choice {
  /** The form value, and the loss parts' name for objectives. */
  value: string;
  label: string;
  ref: ComponentRefConfig;
}

/**
 * The objectives as configs/default.yaml runs them (SeCu's centers at an
 * Adam-scale learning rate, as there); those ticked are summed with weight 1.
 */
export const OBJECTIVES: readonly Choice[] = [
  { value: 'cc', label: 'Contrastive Clustering (CC)', ref: { id: 'cc', options: {} } },
  { value: 'secu', label: 'SeCu, size constraint', ref: { id: 'secu', options: { constraint: 'size', clr: 0.01 } } },
  { value: 'secu-entropy', label: 'SeCu, entropy constraint', ref: { id: 'secu', options: { constraint: 'entropy', clr: 0.01 } } },
  { value: 'concurl', label: 'ConCURL', ref: { id: 'concurl', options: {} } },
  { value: 'simclr', label: 'SimCLR (k-means on its features)', ref: { id: 'simclr', options: {} } },
];

/** Backbones: a small MLP quick enough for any browser first, then the benches' own. */
export const BACKBONES: readonly Choice[] = [
  { value: 'mlp-small', label: 'MLP 64-32 with BatchNorm (quick)', ref: { id: 'mlp', options: { hidden: [64], featureDim: 32, batchNorm: true } } },
  {
    value: 'mlp',
    label: 'MLP 500-500-2000-128 with BatchNorm (configs/default.yaml)',
    ref: { id: 'mlp', options: { hidden: [500, 500, 2000], featureDim: 128, batchNorm: true } },
  },
  { value: 'convnet', label: 'ConvNet', ref: { id: 'convnet', options: {} } },
];

/** Backends as core names them; `auto` takes WebGPU only on a hardware adapter (a software one is slower than wasm). */
export const BACKENDS: readonly { value: string; label: string }[] = [
  { value: 'auto', label: 'auto: WebGPU on a GPU, else wasm' },
  { value: 'webgpu', label: 'webgpu' },
  { value: 'wasm', label: 'wasm' },
  { value: 'cpu', label: 'cpu (plain JavaScript, slow)' },
];
