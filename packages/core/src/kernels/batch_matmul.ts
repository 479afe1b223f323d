/**
 * A wrapper around wasm's BatchMatMul that keeps every multiply on XNNPACK's
 * fast path. In TF.js 4.22 wasm only a plain 2-D product (no transpose flag,
 * batch 1) reaches XNNPACK; a transpose flag or a batch > 1 falls back to a
 * scalar loop ~10x slower at MLP sizes, and the stock MatMul gradient sets the
 * flags on every backward pass. Transposing explicitly (a cheap copy) and
 * splitting batches into 2-D products gives the same sums on the fast path.
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';

/** BatchMatMul's attrs (tfjs-core's BatchMatMulAttrs). */
interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Batched products whose matrices are this small stay on the stock path: per-slice overhead would dominate. */
const MIN_SPLIT_WORK = 32 * 32 * 32;

/** Builds the replacement kernel around the stock one, which still does every plain product. */
export function fastBatchMatMul(stock: KernelFunc): KernelFunc {
  const kernel: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    const batchA = batchOf(a.shape),
      batchB = batchOf(b.shape);
    const plain = !transposeA && !transposeB && batchA === 1 && batchB === 1;
    if (plain || !(a instanceof tf.Tensor) || !(b instanceof tf.Tensor) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return stock(args);
    }
    const m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2];
    const k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
    const n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
    const batch = Math.max(batchA, batchB);
    if (batch > 1 && m * k * n < MIN_SPLIT_WORK) return stock(args);
    // Two different batch sizes above 1 means a broadcast over several dims; leave it to the stock kernel.
    if (batchA > 1 && batchB > 1 && batchA !== batchB) return stock(args);
    return tf.tidy(() => {
      const a2 = transposeA ? swapLast(a) : a;
      const b2 = transposeB ? swapLast(b) : b;
      const outShape = [...broadcastBatch(a.shape, b.shape), m, n];
      if (batch === 1) return tf.reshape(tf.matMul(flat(a2, m, k), flat(b2, k, n)), outShape);
      if (batchB === 1) {
        // One weight matrix for the whole batch: fold the batch into the rows.
        return tf.reshape(tf.matMul(tf.reshape(a2, [batchA * m, k]), flat(b2, k, n)), outShape);
      }
      const as = tf.unstack(tf.reshape(a2, [batchA, m, k]));
      const bs = tf.unstack(tf.reshape(b2, [batchB, k, n]));
      const prods = Array.from({ length: batch }, (_, i) => tf.matMul(as[batchA === 1 ? 0 : i], bs[i]));
      return tf.reshape(tf.stack(prods), outShape);
    });
  };
  return kernel;
}

function batchOf(shape: number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}

function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

function flat(x: Tensor, rows: number, cols: number): Tensor {
  return x.rank === 2 ? x : tf.reshape(x, [rows, cols]);
}

/** The output's leading dims, as matMul broadcasts them (tfjs-core checks compatibility before the kernel runs). */
function broadcastBatch(a: number[], b: number[]): number[] {
  return tf.backend_util.assertAndGetBroadcastShape(a.slice(0, -2), b.slice(0, -2));
}
