/**
 * The status and body (as latin1, byte for byte) of a GET, read until the body ends
 * or the time is up: event streams never end by themselves. Without `bodyMs` one
 * timer of `ms` covers the whole answer; with it, `ms` covers the headers and a new
 * timer of `bodyMs` the body.
 */
export async function readAnswer(url: string, o: { ms: number; bodyMs?: number; headers?: Record<string, string> }): Promise<{ status: number; text: string }> {
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), o.ms);
  let text = '';
  let status = 0;
  try {
    const res = await fetch(url, { signal: abort.signal, headers: o.headers ?? {} });
    status = res.status;
    if (o.bodyMs !== undefined) {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), o.bodyMs);
    }
    const reader = res.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('latin1');
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
  }
  return { status, text };
}
