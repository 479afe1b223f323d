import { fetchSource, type ModelSource } from './source.js';

/** Browsers: the model folder is fetched, relative to the page when the URL is relative. */
export async function modelSource(url: string, fetchImpl?: typeof fetch): Promise<ModelSource> {
  return fetchSource(new URL(url, globalThis.location?.href).href, fetchImpl);
}
