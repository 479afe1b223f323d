import type { Factory } from '../factory.js';

/** What starting a backend gave: ready, with the TF.js name behind it, or why not. */
export type BackendAttempt =
  { ok: true; tfBackend: string; /** Extra kernels in use or why not, a software adapter... */ note?: string } | { ok: false; reason: string };

export interface BackendContext {
  /** True when `auto` is trying it: a backend should then refuse what is worse than the next one (a software GPU). */
  auto: boolean;
}

/**
 * A TF.js backend as a registered component. `create` makes it the active
 * backend or says why it cannot; a missing optional package is an ordinary
 * outcome, not an error.
 */
export interface BackendFactory<O = any> extends Factory<O, BackendContext, Promise<BackendAttempt>> {
  /** Position in `auto`'s order (lower first); absent: `auto` never tries it. */
  readonly autoOrder?: number;
}

export interface BackendSelection {
  /** The backend in use, as clusterflow names it ('wasm', 'webgpu', 'tensorflow-gpu'...). */
  name: string;
  /** The TF.js backend id behind it ('tensorflow' for both native ones). */
  tfBackend: string;
  /** What was tried before it and why each was passed over. */
  tried: { name: string; reason: string }[];
  /** A one-line account for logs: "backend: wasm (tried tensorflow-gpu: not installed; ...)". */
  summary: string;
  /** What the backend said about itself: extra kernels in use or why not, a software adapter. */
  note?: string;
}
