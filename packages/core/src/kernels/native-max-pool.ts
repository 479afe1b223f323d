/**
 * The index-keeping max-pool (max_pool.ts) on wasm through the @clusterflow/native
 * addon: y and the int32 index of each window's maximum in one pass over x,
 * on the addon's threads, in place in the wasm heap; the gradient scatters dy
 * at the index. Stock, the forward is XNNPACK's single-threaded MaxPool, and the
 * gradient (native-max-pool-grad.ts) searches every window of x again.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MaxPoolArgmax, MaxPoolScatter } from '@clusterflow/native';
import type { MaxPoolAttrs } from './max_pool.js';
import { float32Views, type WasmHeapBackend } from './wasm-heap.js';

/** Stats for tests and benches: max-pools run natively. */
export const nativeMaxPoolStats = { forward: 0, backward: 0 };

function outputSide(side: number, a: MaxPoolAttrs): number {
  return Math.floor((side - a.size) / a.stride) + 1;
}

export function nativeMaxPool(forward: MaxPoolArgmax): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const a = args.attrs as unknown as MaxPoolAttrs;
    if (x.dtype !== 'float32') throw new Error(`MaxPool: x must be float32, got ${x.dtype}`);
    if (x.shape.length !== 4) throw new Error(`MaxPool: x must be NHWC, got [${x.shape.join(', ')}]`);
    const [n, h, w, c] = x.shape;
    const [oh, ow] = [outputSide(h, a), outputSide(w, a)];
    const backend = args.backend as unknown as WasmHeapBackend;
    const y = backend.makeOutput([n, oh, ow, c], 'float32'),
      index = backend.makeOutput([n, oh, ow, c], 'int32');
    // Views only after the allocations above: growing the heap detaches older views.
    const v = float32Views(backend);
    forward(v(x), n, h, w, c, a.size, a.size, a.stride, a.stride, oh, ow, v(y), backend.typedArrayFromHeap(index) as Int32Array);
    nativeMaxPoolStats.forward++;
    return [y, index];
  };
}

export function nativeMaxPoolGrad(scatter: MaxPoolScatter): KernelFunc {
  return (args) => {
    const { dy, index } = args.inputs as { dy: TensorInfo; index: TensorInfo };
    const a = args.attrs as unknown as MaxPoolAttrs;
    if (dy.dtype !== 'float32' || index.dtype !== 'int32') {
      throw new Error(`MaxPoolGrad: dy must be float32 and index int32, got ${dy.dtype} and ${index.dtype}`);
    }
    if (dy.shape.join() !== index.shape.join()) {
      throw new Error(`MaxPoolGrad: dy [${dy.shape.join(', ')}] and index [${index.shape.join(', ')}] must have one shape`);
    }
    const [n, h, w, c] = a.inputShape;
    if (dy.shape.length !== 4 || dy.shape[0] !== n || dy.shape[3] !== c) {
      throw new Error(`MaxPoolGrad: dy [${dy.shape.join(', ')}] does not pool x [${a.inputShape.join(', ')}]`);
    }
    const backend = args.backend as unknown as WasmHeapBackend;
    const dx = backend.makeOutput([n, h, w, c], 'float32');
    const v = float32Views(backend);
    scatter(v(dy), backend.typedArrayFromHeap(index) as Int32Array, n, h, w, c, dy.shape[1], dy.shape[2], v(dx));
    nativeMaxPoolStats.backward++;
    return dx;
  };
}
