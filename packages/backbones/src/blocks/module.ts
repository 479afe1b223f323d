import type * as tfc from '@tensorflow/tfjs-core';
import { ShapeError, type TensorMap } from '@clusterflow/core';

/**
 * A functional layer over tf.Variables. Variables are never named (names are global
 * in the TF.js engine, so two models alive at once would clash); the stable names
 * are the keys of `getState`, PyTorch style ('0.weight', '1.running_mean').
 *
 * Layout is TF.js's: a linear weight is stored [in, out], a conv kernel
 * [kh, kw, in, out], activations NHWC. `getState` returns the live variables
 * (no copies): read them, do not dispose them.
 */
export interface Module {
  /** Trainable variables. */
  variables(): tfc.Variable[];
  apply(x: tfc.Tensor, training: boolean): tfc.Tensor;
  /**
   * relu(apply(x)) as one fused op (core's biasRelu) for a module whose output
   * ends in a bias add (linear, conv2d with a bias); absent otherwise. `sequential`
   * uses it where tf.relu follows the module: one kernel each way instead of
   * Add and Relu forward and Step, Multiply and a Sum back.
   */
  applyRelu?(x: tfc.Tensor, training: boolean): tfc.Tensor;
  /** Trainable and non-trainable state (BatchNorm running statistics) by stable names. */
  getState(): TensorMap;
  /** Assigns values; keys must match `getState` exactly and shapes must agree. */
  setState(state: TensorMap): void;
  dispose(): void;
}

/** A stateless op (tf.relu) or a module: what `sequential` chains. */
export type Layer = Module | ((x: tfc.Tensor) => tfc.Tensor);

export function isModule(layer: Layer): layer is Module {
  return typeof layer !== 'function';
}

/**
 * Checks that `incoming` has exactly the keys of `current` with the same shapes,
 * so a checkpoint from another architecture fails loudly instead of half-loading.
 */
export function checkState(current: TensorMap, incoming: TensorMap): void {
  const missing = Object.keys(current).filter((k) => !(k in incoming));
  const unexpected = Object.keys(incoming).filter((k) => !(k in current));
  if (missing.length || unexpected.length) {
    throw new ShapeError(
      `state keys do not match: ` +
        (missing.length ? `missing ${missing.map((k) => `'${k}'`).join(', ')}` : '') +
        (missing.length && unexpected.length ? '; ' : '') +
        (unexpected.length ? `unexpected ${unexpected.map((k) => `'${k}'`).join(', ')}` : ''),
    );
  }
  for (const [key, value] of Object.entries(incoming)) {
    const want = current[key].shape;
    if (!sameShape(want, value.shape)) {
      throw new ShapeError(`state '${key}' has shape [${value.shape}], expected [${want}]`);
    }
    if (value.dtype !== current[key].dtype) {
      throw new ShapeError(`state '${key}' has dtype ${value.dtype}, expected ${current[key].dtype}`);
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A module that owns variables directly. `trainable` lists the keys that are
 * optimized; the others (running statistics) are state only.
 */
export function leaf(vars: Record<string, tfc.Variable>, trainable: readonly string[], apply: (x: tfc.Tensor, training: boolean) => tfc.Tensor): Module {
  let disposed = false;
  return {
    variables: () => trainable.map((k) => vars[k]),
    apply,
    getState: () => ({ ...vars }),
    setState(state) {
      checkState(vars, state);
      for (const [key, value] of Object.entries(state)) vars[key].assign(value);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of Object.values(vars)) v.dispose();
    },
  };
}

/**
 * A module made of named children; its state is theirs with 'name.' prefixes,
 * as PyTorch's state_dict nests submodules.
 */
export function compose(children: Record<string, Module>, apply: (x: tfc.Tensor, training: boolean) => tfc.Tensor): Module {
  const entries = Object.entries(children);
  const getState = (): TensorMap => {
    const out: TensorMap = {};
    for (const [name, child] of entries) {
      for (const [key, value] of Object.entries(child.getState())) out[`${name}.${key}`] = value;
    }
    return out;
  };
  return {
    variables: () => entries.flatMap(([, child]) => child.variables()),
    apply,
    getState,
    setState(state) {
      // Check the whole map first so errors name full keys and nothing is half-assigned.
      checkState(getState(), state);
      for (const [name, child] of entries) {
        const prefix = `${name}.`;
        const sub: TensorMap = {};
        for (const [key, value] of Object.entries(state)) {
          if (key.startsWith(prefix)) sub[key.slice(prefix.length)] = value;
        }
        child.setState(sub);
      }
    },
    dispose() {
      for (const [, child] of entries) child.dispose();
    },
  };
}
