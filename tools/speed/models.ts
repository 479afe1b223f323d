/**
 * The throughput models, written with raw tf ops so the work matches
 * ../shared/bench/torch_steps.py (beside the repository) exactly: same layers, same batch, loss
 * mean(out^2), plain SGD at lr 1e-3, and the same FLOP convention (3x the
 * forward's matmul/conv FLOPs; bias, ReLU, pooling, loss, update uncounted).
 * A hidden layer's bias and ReLU go through core's biasRelu, as the backbones'
 * do: relu(x + b), one kernel each way where the backend has it; and the
 * ConvNet's 2x2 max-pools through core's maxPool2d, as the backbone's.
 */
import { tf, batchNormTrain, biasRelu, maxPool2d, Sgd, type Optimizer } from '@clusterflow/core';
import type { Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';

/** One benchmark model: its variables, its input and its forward pass. */
export interface BenchModel {
  name: string;
  batch: number;
  /** Counted FLOPs of one training step (3x forward). */
  flopsPerStep: number;
  variables: Variable[];
  input: Tensor;
  forward(x: Tensor): Tensor;
  dispose(): void;
}

/** Uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default scale; the values do not affect speed. */
function param(shape: number[], fanIn: number): Variable {
  const b = 1 / Math.sqrt(fanIn);
  // In a tidy, so the initial tensor goes (the variable keeps its data): a model's dispose() then frees everything.
  return tf.tidy(() => tf.variable(tf.randomUniform(shape, -b, b, 'float32', 7)));
}

export function mlp(batch = 256): BenchModel {
  const dims = [784, 500, 500, 2000, 128];
  const ws: Variable[] = [],
    bs: Variable[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    ws.push(param([dims[i], dims[i + 1]], dims[i]));
    bs.push(param([dims[i + 1]], dims[i]));
  }
  let fwd = 0;
  for (let i = 0; i + 1 < dims.length; i++) fwd += 2 * batch * dims[i] * dims[i + 1];
  const input = tf.randomUniform([batch, 784], 0, 1, 'float32', 1);
  return {
    name: 'mlp',
    batch,
    flopsPerStep: 3 * fwd,
    variables: [...ws, ...bs],
    input,
    forward(x) {
      let h = x as Tensor2D;
      ws.forEach((w, i) => {
        // relu(h @ w + b) as one op (one kernel each way where the backend has it), the last layer without ReLU.
        h = i < ws.length - 1 ? biasRelu(tf.matMul(h, w), bs[i]) : tf.add(tf.matMul(h, w), bs[i]);
      });
      return h;
    },
    dispose() {
      input.dispose();
      [...ws, ...bs].forEach((v) => v.dispose());
      optimizers.get(this)?.dispose();
    },
  };
}

/** torch_steps.py's CNN in NHWC: conv3x3(32)-relu-maxpool2, conv3x3(64)-relu-maxpool2, conv3x3(128)-relu, global mean, linear 128. */
export function convnet(batch = 128): BenchModel {
  const convs = [
    [1, 32],
    [32, 64],
    [64, 128],
  ].map(([ci, co]) => ({ w: param([3, 3, ci, co], 9 * ci), b: param([co], 9 * ci) }));
  const fcW = param([128, 128], 128),
    fcB = param([128], 128);
  const fwd = 2 * batch * (28 * 28 * 32 * 1 * 9 + 14 * 14 * 64 * 32 * 9 + 7 * 7 * 128 * 64 * 9 + 128 * 128);
  const input = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  return {
    name: 'cnn',
    batch,
    flopsPerStep: 3 * fwd,
    input,
    variables: [...convs.flatMap((c) => [c.w, c.b]), fcW, fcB],
    forward(x) {
      let h = x as Tensor4D;
      convs.forEach(({ w, b }, i) => {
        h = biasRelu(tf.conv2d(h, w as Tensor4D, 1, 'same'), b);
        if (i < 2) h = maxPool2d(h, 2, 2);
      });
      return tf.add(tf.matMul(tf.mean(h, [1, 2]) as Tensor2D, fcW), fcB);
    },
    dispose() {
      input.dispose();
      this.variables.forEach((v) => v.dispose());
      optimizers.get(this)?.dispose();
    },
  };
}

/** ResNet-18's stages for resnet18(): output channels and the first block's stride; 2 BasicBlocks each. */
const RESNET_STAGES = [
  [64, 1],
  [128, 2],
  [256, 2],
  [512, 2],
] as const;
const RESNET_OUT = 10;

/**
 * The batch the throughput benches run ResNet-18 at, TF.js and torch alike: its
 * reference batch size (torch_resnet18.py's default). It did not fit the wasm
 * backend's 4 GiB heap while BatchNorm was composed of tf ops and
 * tfjs-backend-wasm's Identity copied every tensor the engine keeps for the
 * gradient (the module aborted). With the fused BatchNorm (batchNormTrain) a
 * step fits; with Identity sharing data too (kernels/share_data.ts) its live
 * tensors peak at 2,071 MiB and the heap at 2,214 MiB (2026-11-27; with the
 * stock Identity 2,295 and 2,509 MiB; with the composed BatchNorm it aborts).
 */
export const RESNET_BENCH_BATCH = 128;

/**
 * ResNet-18 with the CIFAR stem, tools/speed/torch_resnet18.py's model
 * in NHWC: conv3x3(64, stride 1, pad 1, no bias)-BN-ReLU with no max-pool,
 * BasicBlocks [2, 2, 2, 2] of 64/128/256/512 channels (first-block strides
 * 1/2/2/2), relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x)) with a 1x1 conv
 * + BN shortcut where the stride or width changes, global mean to 512, linear
 * 512 -> 10. 32x32x3 input, batch RESNET_BENCH_BATCH.
 *
 * BN is in training mode through batchNormTrain, as packages/backbones'
 * batchNorm computes it: batch moments (biased variance, gradient through them),
 * eps 1e-5, γ and β trained; no running averages (torch's
 * track_running_stats=False).
 * 3x3 convs pad 1 on every side (not 'same', which pads stride-2 convs only at
 * the bottom/right), as torch does.
 */
export function resnet18(batch = RESNET_BENCH_BATCH): BenchModel {
  type Conv = { w: Variable; k: number; stride: number };
  type Bn = { gamma: Variable; beta: Variable };
  const layers: { oh: number; co: number; ci: number; k: number }[] = [];
  const conv = (ci: number, co: number, k: number, stride: number, inSize: number): Conv => {
    const oh = Math.floor((inSize + 2 * ((k - 1) / 2) - k) / stride) + 1;
    layers.push({ oh, co, ci, k });
    return { w: param([k, k, ci, co], k * k * ci), k, stride };
  };
  const bn = (c: number): Bn => tf.tidy(() => ({ gamma: tf.variable(tf.ones([c])), beta: tf.variable(tf.zeros([c])) }));
  const stem = { conv: conv(3, 64, 3, 1, 32), bn: bn(64) };
  const blocks: { conv1: Conv; bn1: Bn; conv2: Conv; bn2: Bn; down?: { conv: Conv; bn: Bn } }[] = [];
  let c = 64,
    size = 32;
  for (const [width, stride] of RESNET_STAGES) {
    for (let b = 0; b < 2; b++) {
      const st = b === 0 ? stride : 1;
      const conv1 = conv(c, width, 3, st, size);
      const conv2 = conv(width, width, 3, 1, Math.floor((size - 1) / st) + 1);
      const down = st !== 1 || c !== width ? { conv: conv(c, width, 1, st, size), bn: bn(width) } : undefined;
      blocks.push({ conv1, bn1: bn(width), conv2, bn2: bn(width), down });
      c = width;
      size = Math.floor((size - 1) / st) + 1;
    }
  }
  const fcW = param([c, RESNET_OUT], c),
    fcB = param([RESNET_OUT], c);
  layers.push({ oh: 1, co: RESNET_OUT, ci: c, k: 1 });
  const fwd = layers.reduce((f, l) => f + 2 * batch * l.oh * l.oh * l.co * l.ci * l.k * l.k, 0);

  const applyConv = (x: Tensor4D, { w, k, stride }: Conv): Tensor4D => tf.conv2d(x, w as Tensor4D, stride, k === 3 ? 1 : 'valid');
  const applyBn = (x: Tensor4D, { gamma, beta }: Bn): Tensor4D => batchNormTrain(x, gamma, beta, 1e-5).y as Tensor4D;
  const input = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 1);
  const variables: Variable[] = [
    stem.conv.w,
    stem.bn.gamma,
    stem.bn.beta,
    ...blocks.flatMap((b) => [
      b.conv1.w,
      b.bn1.gamma,
      b.bn1.beta,
      b.conv2.w,
      b.bn2.gamma,
      b.bn2.beta,
      ...(b.down ? [b.down.conv.w, b.down.bn.gamma, b.down.bn.beta] : []),
    ]),
    fcW,
    fcB,
  ];
  return {
    name: 'resnet18',
    batch,
    flopsPerStep: 3 * fwd,
    input,
    variables,
    forward(x) {
      let h = tf.relu(applyBn(applyConv(x as Tensor4D, stem.conv), stem.bn));
      for (const b of blocks) {
        const r = tf.relu(applyBn(applyConv(h, b.conv1), b.bn1));
        const out = applyBn(applyConv(r, b.conv2), b.bn2);
        h = tf.relu(tf.add(out, b.down ? applyBn(applyConv(h, b.down.conv), b.down.bn) : h)) as Tensor4D;
      }
      return tf.add(tf.matMul(tf.mean(h, [1, 2]) as Tensor2D, fcW), fcB);
    },
    dispose() {
      input.dispose();
      variables.forEach((v) => v.dispose());
      optimizers.get(this)?.dispose();
    },
  };
}

/** Each model's optimizer: core's SGD (what training uses; fused into one kernel per variable where the backend has it). */
const optimizers = new WeakMap<BenchModel, Optimizer>();

/** Plain SGD at lr 1e-3, as torch_steps.py's torch.optim.SGD(lr=1e-3). */
export const benchSgd = (): Optimizer => new Sgd({ lr: 1e-3, momentum: 0, weightDecay: 0, nesterov: false });

/**
 * One training step: forward, backward, an optimizer step (plain SGD unless
 * `makeOptimizer` says otherwise, on a model's first step); returns the loss
 * (read back, as torch's loss.item()).
 */
export function trainStep(model: BenchModel, makeOptimizer: () => Optimizer = benchSgd): number {
  let opt = optimizers.get(model);
  if (!opt) optimizers.set(model, (opt = makeOptimizer()));
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(model.input);
      return tf.mean(tf.square(out)) as tf.Scalar;
    }, model.variables);
    opt.step([{ variables: model.variables, grads: model.variables.map((v) => grads[v.name]), lr: opt.lr, weightDecay: opt.weightDecay }]);
    return value;
  });
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}

/** Median wall time of `steps` training steps, in ms, after `warmup` untimed ones. */
export function medianStepMs(model: BenchModel, steps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) trainStep(model);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainStep(model);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
