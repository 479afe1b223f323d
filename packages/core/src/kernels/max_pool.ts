/**
 * A 'valid' max-pool that keeps where each maximum was, so its gradient is a
 * scatter of dy instead of a second search of every window (PyTorch's
 * max_pool2d_with_indices). NHWC, square window `size`, stride `stride`.
 *
 * Where the active backend has the fused kernel (wasm with @clusterflow/native:
 * native-max-pool.ts) it is one multi-threaded pass forward that writes y and
 * an int32 index (the flat offset into x of each window's first maximum), and
 * a backward that zeroes dx and adds dy at the saved offsets. Elsewhere, and
 * where windows overlap (stride < size: one input would take several windows'
 * dy, which the scatter could still do but nothing here needs), it is
 * tf.maxPool(x, size, stride, 'valid'), with the same values and gradients:
 * the first maximum in row-major window order gets the window's dy, as TF.js's
 * cpu MaxPoolGrad routes it, and NaN is skipped as the cpu backend skips it (a
 * window of only NaN gives -Infinity and no gradient).
 *
 * The kernel has two outputs, [y, index], and the op returns y alone. Its
 * gradient is a tf.customGrad closure rather than a registered GradConfig
 * saving the second output (outputsToSave [false, true]): the engine gives a
 * GradConfig a dy for every output, and for the index, which no loss depends
 * on, it builds one of zeros in JS and copies it into the wasm heap every step
 * (4 MB for the ConvNet's first pool), which cost the step more than the fused
 * kernels saved. Under customGrad the tape holds one output, y; the index is
 * saved (a kept copy, only while a tape records) and the forward's own
 * reference disposed by the engine's tidy, so nothing of it outlives the
 * backward pass, and without a tape nothing outlives the call.
 */
import { tf } from '../backend/tfjs.js';
import type { GradSaveFunc, NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';

/** Inputs { x }; attrs MaxPoolAttrs; outputs [y, index (int32, y's shape)]. */
export const MAX_POOL = 'ClusterflowMaxPool';
/** Inputs { dy, index }; attrs MaxPoolAttrs; output dx of attrs.inputShape. */
export const MAX_POOL_GRAD = 'ClusterflowMaxPoolGrad';

/** The fused kernels' attributes: window and stride (square), and x's shape, which the gradient's dx takes. */
export interface MaxPoolAttrs {
  size: number;
  stride: number;
  inputShape: [number, number, number, number];
}

/** tf.maxPool(x, size, stride, 'valid'), through the fused kernel where the backend has it. */
export function maxPool2d(x: Tensor4D, size: number, stride: number): Tensor4D {
  const [, h, w] = x.shape;
  const fused =
    x.dtype === 'float32' &&
    Number.isInteger(size) &&
    Number.isInteger(stride) &&
    size >= 1 &&
    stride >= size &&
    h >= size &&
    w >= size &&
    x.size > 0 &&
    x.size < 2 ** 31 && // the index holds int32 offsets into x
    tf.getKernel(MAX_POOL, tf.getBackend()) !== undefined;
  if (!fused) return tf.maxPool(x, size, stride, 'valid');
  const attrs = { size, stride, inputShape: [...x.shape] } satisfies MaxPoolAttrs as unknown as NamedAttrMap;
  const pool = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [input, save] = args as [Tensor, GradSaveFunc];
    const [y, index] = tf.engine().runKernel(MAX_POOL, { x: input }, attrs) as Tensor[];
    save([index]);
    return {
      value: y,
      // One scatter of dy at the saved index.
      gradFunc: (dy: Tensor, [saved]: Tensor[]) => tf.engine().runKernel(MAX_POOL_GRAD, { dy, index: saved }, attrs) as Tensor,
    };
  });
  return pool(x) as Tensor4D;
}
