/** Where a model's files come from: model.json and the shards beside it. */
export interface ModelSource {
  /** A readable name for errors (the URL or path given). */
  name: string;
  /** The bytes of a file of the model folder, by its plain name. */
  read(file: string): Promise<Uint8Array>;
}

/** A shard or file name inside the model's folder: a plain name, nothing that walks out of the folder. */
export function checkFileName(file: string, model: string): void {
  if (!/^[\w][\w.-]*$/.test(file) || file.includes('..')) {
    throw new Error(`model ${model}: file name '${file}' in its manifest is not a plain file name of its folder`);
  }
}

/** The folder URL of a model given as a folder URL or as the URL of its model.json. */
export function modelBase(url: string): { base: string; json: string } {
  const json = /\/model\.json([?#].*)?$/.test(url) ? url : url.replace(/\/?([?#].*)?$/, '/model.json$1');
  return { base: json.replace(/model\.json([?#].*)?$/, ''), json: 'model.json' };
}

/** Fetches the files of a model folder served over http(s) (or any URL fetch takes). */
export function fetchSource(url: string, fetchImpl: typeof fetch = fetch): ModelSource {
  const { base } = modelBase(url);
  return {
    name: url,
    async read(file) {
      checkFileName(file, url);
      const res = await fetchImpl(new URL(file, base).href);
      if (!res.ok) throw new Error(`model ${url}: fetching ${file} gave HTTP ${res.status} ${res.statusText}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}
