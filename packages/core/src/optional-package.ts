import { NodeOnlyError } from './errors.js';

/**
 * Why an optional package did not import, for a backend's `tried` list or a kernel
 * note: "<pkg> is not installed" (an ordinary outcome), the browser's refusal, or
 * the first line of its error.
 */
export function whyNotLoaded(pkg: string, err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `${pkg} is not installed`;
  if (err instanceof NodeOnlyError) return err.message;
  return `${pkg} failed to load: ${String((err as Error).message ?? err).split('\n')[0]}`;
}
