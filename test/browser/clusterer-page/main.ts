// A page that loads an exported model with loadClusterer and assigns images, for
// test/browser/clusterer.spec.ts. Bundled by that spec with esbuild for browsers.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend, tf } from '@clusterflow/core';
import { loadClusterer } from '@clusterflow/clusterer';

setWasmPaths(new URL('./', document.baseURI).href);

/** What the spec asks the page: select `backend`, load the model at `url`, assign `images` (gray pixels, row by row). */
async function assign(backend: string, url: string, images: { data: number[]; width: number; height: number }[]) {
  const selected = await selectBackend(backend);
  const clusterer = await loadClusterer(url);
  const before = tf.memory().numTensors;
  const p = await clusterer.predict(images.map((im) => ({ ...im, data: Uint8Array.from(im.data) })));
  const leaked = tf.memory().numTensors - before;
  clusterer.dispose();
  return { backend: selected.name, cluster: Array.from(p.cluster), confidence: Array.from(p.confidence), leaked };
}

Object.assign(window, { clustererTest: { assign } });
document.body.dataset.ready = 'yes';
