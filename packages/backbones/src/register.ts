import type { Registrar } from '@clusterflow/core';
import { convnetFactory } from './backbones/convnet.js';
import { mlpFactory } from './backbones/mlp.js';
import { resnet18CifarFactory } from './backbones/resnet18-cifar.js';

/** Registers the built-in backbones. */
export function register(r: Registrar): void {
  r.backbone(mlpFactory);
  r.backbone(convnetFactory);
  r.backbone(resnet18CifarFactory);
}
