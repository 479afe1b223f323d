// Public API of @clusterflow/backbones: functional blocks and the registered backbones.
export * from './blocks/module.js';
export * from './blocks/linear.js';
export * from './blocks/batch-norm.js';
export * from './blocks/sequential.js';
export * from './blocks/mlp-head.js';
export * from './blocks/softmax-head.js';
export * from './blocks/conv2d.js';
export * from './backbones/wrap.js';
export * from './backbones/mlp.js';
export * from './backbones/convnet.js';
export * from './backbones/resnet18-cifar.js';
export * from './register.js';
