import type { ComponentRef } from '../factory.js';
import { validate } from '../config/validate.js';
import { UnknownComponentError } from '../errors.js';
import { registerReduceGradients } from '../kernels/reduce_gradients.js';
import type { BackendFactory, BackendSelection } from './backend.js';
import { BUILTIN_BACKENDS, firstLine } from './builtin-backends.js';

/** A backend as a config names it: `auto`, an id, or `{ id, options }`. */
export type BackendChoice = string | ComponentRef;

/** Where backends are looked up: a registry, or core's built-ins when none is given. */
export interface BackendSource {
  list(kind: 'backend'): { factory: BackendFactory }[];
}

/** Extra setup run after a backend is ready (kernel registrations); set by `onBackendReady`. */
const readyHooks: ((name: string) => void | Promise<void>)[] = [];

/** Lets packages register kernels or gradients whenever a backend is selected. */
export function onBackendReady(hook: (name: string) => void | Promise<void>): void {
  readyHooks.push(hook);
}

/**
 * Selects a backend. `auto` tries every registered backend that has an `autoOrder`,
 * in that order, and reports why it passed over each one: native TensorFlow
 * bindings that cannot install, a WebGPU with no adapter or only a software one.
 * A backend asked for by name that cannot start is an error naming why.
 */
export async function selectBackend(choice: BackendChoice = 'auto', source?: BackendSource): Promise<BackendSelection> {
  // Backend-independent, so every backend trains with the same gradient code.
  registerReduceGradients();
  const factories = source ? source.list('backend').map((e) => e.factory) : [...BUILTIN_BACKENDS];
  const ref: ComponentRef = typeof choice === 'string' ? { id: choice } : choice;
  const auto = ref.id === 'auto';
  let candidates: BackendFactory[];
  if (auto) {
    candidates = factories.filter((f) => f.autoOrder !== undefined).sort((a, b) => a.autoOrder! - b.autoOrder!);
  } else {
    const f = factories.find((b) => b.id === ref.id);
    if (!f) throw new UnknownComponentError(`unknown backend '${ref.id}'; registered: auto, ${factories.map((b) => b.id).join(', ')}`);
    candidates = [f];
  }
  const tried: { name: string; reason: string }[] = [];
  for (const f of candidates) {
    const options = validate(f.options, auto ? {} : (ref.options ?? {}), `options of backend '${f.id}'`);
    let attempt;
    try {
      attempt = await f.create(options, { auto });
    } catch (err) {
      attempt = { ok: false as const, reason: firstLine(err) };
    }
    if (attempt.ok) {
      for (const hook of readyHooks) await hook(f.id);
      const triedText = tried.map((t) => `${t.name}: ${t.reason}`).join('; ');
      const summary = `backend: ${f.id}` + (triedText ? ` (tried ${triedText})` : '') + (attempt.note ? `; ${attempt.note}` : '');
      return { name: f.id, tfBackend: attempt.tfBackend, tried, summary, note: attempt.note };
    }
    tried.push({ name: f.id, reason: attempt.reason });
  }
  throw new Error(`no usable backend for '${ref.id}': ` + tried.map((t) => `${t.name}: ${t.reason}`).join('; '));
}
