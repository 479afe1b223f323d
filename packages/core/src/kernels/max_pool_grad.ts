/**
 * MaxPoolGrad for wasm as a JS kernel over the wasm heap. The stock wasm kernel
 * took ~130 ms for one [128,28,28,32] 2x2 pool gradient in the ConvNet step;
 * this single pass (find each window's first maximum, add dy there) is
 * memory-bound and runs in a few ms. Ties go to the first maximum in row-major
 * window order, as tfjs-core's cpu backend does.
 */
import { tf } from '../backend/tfjs.js';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './wasm-heap.js';

export interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function fastMaxPoolGrad(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const backend = args.backend as unknown as Partial<WasmHeapBackend>;
    if (input.dtype !== 'float32' || typeof backend.typedArrayFromHeap !== 'function') return stock(args);
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const out = (backend as WasmHeapBackend).makeOutput(input.shape, 'float32');
    // Views only after the allocation above: growing the heap detaches older views.
    const x = backend.typedArrayFromHeap(input) as Float32Array;
    const g = backend.typedArrayFromHeap(dy) as Float32Array;
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    maxPoolBackprop(x, g, dx, info);
    return out;
  };
}

type Pool2DInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

/** dx (overwritten) = dy routed to each window's first maximum of x; NHWC, dilation 1. */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, dx: Float32Array, info: Pool2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = Math.max(0, r * sh - top),
        r1 = Math.min(h, r * sh - top + fh);
      for (let q = 0; q < ow; q++) {
        const c0 = Math.max(0, q * sw - left),
          c1 = Math.min(w, q * sw - left + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let xr = r0; xr < r1; xr++) {
          for (let xc = c0; xc < c1; xc++) {
            const base = ((b * h + xr) * w + xc) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k];
              if (v > best[k]) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        const gBase = ((b * oh + r) * ow + q) * c;
        for (let k = 0; k < c; k++) if (where[k] >= 0) dx[where[k]] += dy[gBase + k];
      }
    }
  }
}
