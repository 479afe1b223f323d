import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError, tf, type Rng } from '@clusterflow/core';
import { defineTransform } from './define.js';
import { blend, clip01, coins, luma, perSample, uniform } from './ops.js';

/** torchvision adjust_brightness: x * f (a blend with black), clamped. `f` is [B, 1, 1, 1]. */
export function adjustBrightness(x: tfc.Tensor4D, f: tfc.Tensor): tfc.Tensor4D {
  return clip01(tf.mul(x, f));
}

/** torchvision adjust_contrast: blend with the mean luma of each image. */
export function adjustContrast(x: tfc.Tensor4D, f: tfc.Tensor): tfc.Tensor4D {
  const mean = tf.mean(luma(x), [1, 2, 3], true);
  return clip01(tf.add(tf.mul(x, f), tf.mul(tf.sub(1, f), mean)));
}

/** torchvision adjust_saturation: blend with each pixel's luma. */
export function adjustSaturation(x: tfc.Tensor4D, f: tfc.Tensor): tfc.Tensor4D {
  return clip01(tf.add(tf.mul(x, f), tf.mul(tf.sub(1, f), luma(x))));
}

// RGB -> YIQ (NTSC); hue is an angle in the I-Q plane.
const YIQ = [
  [0.299, 0.587, 0.114],
  [0.596, -0.274, -0.322],
  [0.211, -0.523, 0.312],
];
const YIQ_INV = invert3(YIQ);
const IDENTITY3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];

/**
 * Hue shift as a rotation of the chroma (I, Q) plane in YIQ space (`hueSpace: 'yiq'`):
 * one batched matrix product per batch instead of torchvision's RGB->HSV->RGB round trip.
 * It keeps luma and rotates hue by 2*pi*h; saturation differs slightly from HSV's.
 */
export function adjustHue(x: tfc.Tensor4D, hues: ArrayLike<number>): tfc.Tensor4D {
  const [B, H, W] = x.shape;
  const mats = new Float32Array(B * 9);
  for (let b = 0; b < B; b++) {
    const t = 2 * Math.PI * hues[b];
    const [c, s] = [Math.cos(t), Math.sin(t)];
    const rot = [
      [1, 0, 0],
      [0, c, -s],
      [0, s, c],
    ];
    // A zero shift is exactly the identity (samples not shifted in this step stay bit-equal).
    const m = t === 0 ? IDENTITY3 : mul3(YIQ_INV, mul3(rot, YIQ));
    // Pixels are rows, so each pixel is multiplied by M transposed.
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) mats[b * 9 + i * 3 + j] = m[j][i];
  }
  const flat = tf.reshape(x, [B, H * W, 3]) as tfc.Tensor3D;
  return clip01(tf.reshape(tf.matMul(flat, tf.tensor3d(mats, [B, 3, 3])), [B, H, W, 3]) as tfc.Tensor4D);
}

/**
 * torchvision adjust_hue on float tensors (_rgb2hsv, hue shifted mod 1, _hsv2rgb),
 * by `hues[b]` (a fraction of the colour circle) per sample. Samples with a zero
 * shift are passed through untouched (the round trip is exact only up to rounding).
 */
export function adjustHueHsv(x: tfc.Tensor4D, hues: ArrayLike<number>): tfc.Tensor4D {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(x, 3, 3) as tfc.Tensor4D[];
    const maxc = tf.max(x, 3, true);
    const minc = tf.min(x, 3, true);
    const f32 = (t: tfc.Tensor) => tf.cast(t, 'float32');
    const eq = f32(tf.equal(maxc, minc));
    const cr = tf.sub(maxc, minc);
    // torch.where(eqc, ones, ...) as a blend: no broadcast tf.where (slow on wasm).
    const s = tf.div(cr, tf.add(maxc, tf.mul(eq, tf.sub(1, maxc))));
    const crd = tf.add(cr, tf.mul(eq, tf.sub(1, cr)));
    const [rc, gc, bc] = [r, g, b].map((c) => tf.div(tf.sub(maxc, c), crd));
    const isR = f32(tf.equal(maxc, r));
    const isG = tf.mul(f32(tf.equal(maxc, g)), tf.sub(1, isR));
    const isB = tf.mul(f32(tf.notEqual(maxc, g)), tf.sub(1, isR));
    const h6 = tf.addN([tf.mul(isR, tf.sub(bc, gc)), tf.mul(isG, tf.add(2, tf.sub(rc, bc))), tf.mul(isB, tf.add(4, tf.sub(gc, rc)))]);
    const mod1 = (t: tfc.Tensor) => tf.sub(t, tf.floor(t));
    const h = mod1(tf.add(mod1(tf.add(tf.div(h6, 6), 1)), perSample(hues)));
    const v = maxc;
    const i6 = tf.floor(tf.mul(h, 6));
    const fr = tf.sub(tf.mul(h, 6), i6);
    const i = tf.sub(i6, tf.mul(tf.floor(tf.div(i6, 6)), 6)); // i % 6
    const p = clip01(tf.mul(v, tf.sub(1, s)));
    const q = clip01(tf.mul(v, tf.sub(1, tf.mul(s, fr))));
    const t = clip01(tf.mul(v, tf.sub(1, tf.mul(s, tf.sub(1, fr)))));
    const m = [0, 1, 2, 3, 4, 5].map((k) => f32(tf.equal(i, k)));
    const pick = (vals: tfc.Tensor[]) => tf.addN(vals.map((c, k) => tf.mul(m[k], c)));
    const rgb = tf.concat([pick([v, q, p, p, t, v]), pick([t, v, v, q, p, p]), pick([p, p, t, v, v, q])], 3) as tfc.Tensor4D;
    return blend(perSample(Array.from(hues, (u) => Number(u !== 0))), rgb, x);
  });
}

/** One sample's jitter: factors [brightness, contrast, saturation, hue] and the order of the ops (0..3 as torchvision's fn_idx). */
export interface JitterParams {
  factors: [number, number, number, number];
  order: ArrayLike<number>;
}

/** The factor that leaves an image alone, per op. */
const IDENTITY_FACTOR = [1, 1, 1, 0] as const;

/**
 * ColorJitter.forward per sample, batched: sample b runs the ops in `params[b].order`
 * with its own factors, skipping ops not in `enabled` (torchvision's None). Step s
 * applies every enabled op k to the whole batch, with sample b's factor where its
 * s-th op is k and the identity factor elsewhere (exactly the identity, clamping
 * included), so each sample sees only its own ops in its own order: at most
 * |enabled|^2 batched ops, and steps no sample needs are skipped. The hue shift
 * runs on the samples that need it only.
 */
export function jitterImages(x: tfc.Tensor4D, params: readonly JitterParams[], enabled: readonly boolean[], hue: 'hsv' | 'yiq' = 'hsv'): tfc.Tensor4D {
  const B = x.shape[0];
  if (params.length !== B) throw new Error(`jitterImages: ${params.length} parameter sets for a batch of ${B}`);
  const orders = params.map((p) => Array.from(p.order).filter((k) => enabled[k]));
  const steps = Math.max(0, ...orders.map((o) => o.length));
  return tf.tidy(() => {
    let y = x;
    for (let s = 0; s < steps; s++) {
      for (let k = 0; k < 4; k++) {
        const mine = orders.map((o) => o[s] === k);
        if (!mine.some(Boolean)) continue;
        const f = params.map((p, b) => (mine[b] ? p.factors[k] : IDENTITY_FACTOR[k]));
        if (k === 0) y = adjustBrightness(y, perSample(f));
        else if (k === 1) y = adjustContrast(y, perSample(f));
        else if (k === 2) y = adjustSaturation(y, perSample(f));
        else
          y = onSubset(y, mine, (sub, idx) =>
            (hue === 'hsv' ? adjustHueHsv : adjustHue)(
              sub,
              idx.map((b) => f[b]),
            ),
          );
      }
    }
    return y === x ? tf.clone(x) : y;
  });
}

/**
 * `op` on the samples where `mask` holds, the others copied: the hue shift is
 * costly (some 40 element-wise ops), and at each step only a quarter of the
 * samples have it in that place of their order.
 */
function onSubset(y: tfc.Tensor4D, mask: boolean[], op: (sub: tfc.Tensor4D, idx: number[]) => tfc.Tensor4D): tfc.Tensor4D {
  const idx = mask.flatMap((m, b) => (m ? [b] : []));
  if (idx.length === mask.length) return op(y, idx);
  const done = op(tf.gather(y, idx), idx);
  let next = mask.length;
  const from = mask.map((m, b) => (m ? next++ : b));
  return tf.gather(tf.concat([y, done]), from);
}

/**
 * Colour jitter per sample (torchvision ColorJitter wrapped in RandomApply(p)).
 * Each sample draws whether it is jittered, then (as ColorJitter.get_params) its
 * order of the four adjustments and its factors; samples left alone keep identity
 * factors. `order: 'per-batch'` keeps the earlier draws: one order for the batch.
 */
export const colorJitter = defineTransform({
  id: 'color-jitter',
  description: 'Brightness, contrast, saturation and hue jitter per sample (own factors and order), applied with probability p',
  options: {
    brightness: z.number().min(0).default(0.4).describe('factor drawn from [max(0, 1-b), 1+b]'),
    contrast: z.number().min(0).default(0.4).describe('factor drawn from [max(0, 1-c), 1+c]'),
    saturation: z.number().min(0).default(0.4).describe('factor drawn from [max(0, 1-s), 1+s]'),
    hue: z.number().min(0).max(0.5).default(0.1).describe('hue shift drawn from [-h, h] (fraction of the colour circle)'),
    p: z.number().min(0).max(1).default(0.8).describe('probability that a sample is jittered at all'),
    hueSpace: z
      .enum(['hsv', 'yiq'])
      .default('hsv')
      .describe("'hsv': torchvision's adjust_hue (RGB -> HSV, shift, back); 'yiq': a rotation of the YIQ chroma plane, as runs before issue 29 shifted hue"),
    order: z
      .enum(['per-image', 'per-batch'])
      .default('per-image')
      .describe(
        "'per-image': each sample draws its own order of the four adjustments (torchvision ColorJitter); 'per-batch': one order for the whole batch, as runs before issue 29 drew it",
      ),
  },
  create(o, { sampleShape }) {
    const c = sampleShape[2];
    if (c !== 3 && c !== 1) throw new ConfigError(`transform 'color-jitter' needs 1 or 3 channels, got [${sampleShape}]`);
    if (c === 1 && (o.saturation > 0 || o.hue > 0)) {
      throw new ConfigError(`transform 'color-jitter' on 1-channel images: set saturation and hue to 0 (got ${o.saturation}, ${o.hue})`);
    }
    const enabled = [o.brightness > 0, o.contrast > 0, o.saturation > 0, o.hue > 0];
    const range = (v: number) => [Math.max(0, 1 - v), 1 + v] as const;
    return (x, rng) => {
      const B = x.shape[0];
      if (o.order === 'per-batch') return perBatch(x, rng);
      const params: JitterParams[] = [];
      for (let b = 0; b < B; b++) {
        const on = rng.float() < o.p;
        const order = rng.permutation(4);
        const factors: JitterParams['factors'] = [
          uniform(rng, ...range(o.brightness)),
          uniform(rng, ...range(o.contrast)),
          uniform(rng, ...range(o.saturation)),
          uniform(rng, -o.hue, o.hue),
        ];
        params.push({ factors: on ? factors : [...IDENTITY_FACTOR], order: on ? order : [] });
      }
      return jitterImages(x, params, enabled, o.hueSpace);
    };

    /** The draws and order of runs before issue 29: one permutation for the whole batch. */
    function perBatch(x: tfc.Tensor4D, rng: Rng): tfc.Tensor4D {
      const B = x.shape[0];
      const on = coins(rng, B, o.p);
      const draw = (lo: number, hi: number, id: number) => on.map((a) => (a ? uniform(rng, lo, hi) : id));
      const fb = draw(...range(o.brightness), 1);
      const fc = draw(...range(o.contrast), 1);
      const fs = draw(...range(o.saturation), 1);
      const fh = draw(-o.hue, o.hue, 0);
      const steps: ((y: tfc.Tensor4D) => tfc.Tensor4D)[] = [];
      if (o.brightness > 0) steps.push((y) => adjustBrightness(y, perSample(fb)));
      if (o.contrast > 0) steps.push((y) => adjustContrast(y, perSample(fc)));
      if (o.saturation > 0) steps.push((y) => adjustSaturation(y, perSample(fs)));
      if (o.hue > 0) steps.push((y) => (o.hueSpace === 'hsv' ? adjustHueHsv(y, fh) : adjustHue(y, fh)));
      let y = x;
      for (const k of rng.permutation(4)) if (k < steps.length) y = steps[k](y);
      return y;
    }
  },
});

export type ColorJitterOptions = z.infer<typeof colorJitter.options>;

function mul3(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h,
    B = -(d * i - f * g),
    C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
