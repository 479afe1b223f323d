import type { ComponentRef } from '@clusterflow/core';

/**
 * What a run gets when its config names no augmentation or backbone: each dataset
 * factory declares the pair that fits its samples (see DatasetFactory.defaults).
 */

/** Two views, the pair contrastive objectives compare; multi-view picks its preset pipeline by channel count. */
export const IMAGE_VIEWS: ComponentRef = { id: 'multi-view', options: { views: 2 } };

/** Embeddings get unchanged copies: image transforms mean nothing to them. */
export const VECTOR_VIEWS: ComponentRef = { id: 'identity', options: { views: 2 } };

/**
 * For Fashion-MNIST and other idx (MNIST-format) images, the setting measured best
 * on Fashion-MNIST (configs/default.yaml): BatchNorm after each hidden layer raised
 * every objective's ACC on the 10k split by 0.02-0.15. Also for vectors, which only
 * an MLP takes.
 */
export const MLP_BACKBONE: ComponentRef = { id: 'mlp', options: { featureDim: 128, batchNorm: true } };

/** ResNet-18 with the CIFAR stem, the network the deep-clustering papers report CIFAR results on. */
export const CIFAR_BACKBONE: ComponentRef = { id: 'resnet18-cifar' };

/**
 * Folders hold images of any size: the ConvNet's global average pool takes any
 * H x W, where an MLP's first layer would grow with the pixel count.
 */
export const CONVNET_BACKBONE: ComponentRef = { id: 'convnet' };
