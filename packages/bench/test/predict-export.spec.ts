import { expect } from 'chai';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadClusterer, ModelError, type ModelJson } from '@clusterflow/clusterer';
import { selectBackend, tf } from '@clusterflow/core';
import { npyBytes, readNpyVectors } from '@clusterflow/data';
import { parseAssignmentsCsv } from '@clusterflow/bench';
import { cli } from './support/cli.js';
import { tempDir, writeBlobs } from './support/files.js';

/** The columns of a predict CSV by name. */
function readPredictions(text: string): Record<string, number[]> {
  const [header, ...rows] = text.trim().split('\n');
  const names = header.split(',');
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const row of rows) row.split(',').forEach((v, i) => out[names[i]].push(Number(v)));
  return out;
}

/** Objectives whose read-outs export as heads: CC's softmax MLP, SeCu's BN projector with cosine centres. */
const OBJECTIVES = [
  { id: 'cc', options: { projectionDim: 8 }, readouts: ['cluster'] },
  { id: 'secu', options: { ks: [3, 6], hidden: 16, dim: 8 }, readouts: ['head0-k3', 'head1-k6'] },
];

describe('clusterflow predict and export, loadClusterer in Node', function () {
  this.timeout(120_000);
  for (const objective of OBJECTIVES) {
    describe(`a run of ${objective.id}`, () => {
      let dir: string;
      let runDir: string;
      let runAssignments: ReturnType<typeof parseAssignmentsCsv>;
      let blobs: { data: number[][]; labels: number[] };

      before(async () => {
        await selectBackend('cpu');
        dir = await tempDir();
        blobs = JSON.parse(await readFile(await writeBlobs(dir), 'utf8'));
        const config = {
          name: 'blobs',
          backend: 'cpu',
          data: { id: 'vectors', options: { path: 'blobs.json' } },
          augmentation: { id: 'identity' },
          backbone: { id: 'mlp', options: { hidden: [16], featureDim: 8, batchNorm: true } },
          objective: [{ id: objective.id, options: objective.options }],
          optimizer: { id: 'adam', options: { lr: 0.01 } },
          numClusters: 3,
          train: { epochs: 2, batchSize: 32 },
        };
        await writeFile(join(dir, 'blobs.yaml'), JSON.stringify(config));
        const trained = await cli('train', join(dir, 'blobs.yaml'), '--out', join(dir, 'out'), '--seed', '1');
        expect(trained.code, trained.err).to.equal(0);
        runDir = join(dir, 'out', 'blobs-seed1');
        runAssignments = parseAssignmentsCsv(await readFile(join(runDir, 'assignments.csv'), 'utf8'));
        // Equality with a run that put everything in one cluster would prove little.
        expect(new Set(runAssignments.cluster).size, `run's clusters: ${runAssignments.cluster}`).to.be.greaterThan(1);
      });

      it("predict on the run's own data gives exactly the run's assignments.csv, with confidences, features and probabilities", async () => {
        const out = join(dir, 'own.csv');
        const res = await cli('predict', runDir, '--out', out, '--features', join(dir, 'f.npy'), '--probabilities', join(dir, 'p.npy'), '--base-dir', dir);
        expect(res.code, res.err).to.equal(0);
        const p = readPredictions(await readFile(out, 'utf8'));
        expect(p.cluster).to.deep.equal(runAssignments.cluster);
        expect(p.label).to.deep.equal(runAssignments.label);
        expect(p.index).to.deep.equal(runAssignments.index);
        // One column set per further read-out.
        for (const name of objective.readouts.slice(1)) expect(p[`cluster_${name}`]).to.have.length(blobs.data.length);
        const probs = readNpyVectors(join(dir, 'p.npy'));
        expect(probs.dim).to.equal(3);
        for (let i = 0; i < blobs.data.length; i++) {
          const row = Array.from(probs.data.subarray(3 * i, 3 * i + 3));
          expect(row.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-5);
          expect(p.confidence[i]).to.be.closeTo(Math.max(...row), 1e-5);
          expect(row.indexOf(Math.max(...row))).to.equal(p.cluster[i]);
        }
        expect(readNpyVectors(join(dir, 'f.npy')).dim).to.equal(8);
      });

      it('predict on a vectors file of the same data gives the same; data of the wrong shape is refused', async () => {
        const same = join(dir, 'same.npy');
        await writeFile(same, npyBytes(Float32Array.from(blobs.data.flat()), [blobs.data.length, 8]));
        const out = join(dir, 'file.csv');
        const res = await cli('predict', join(runDir, 'checkpoints', 'last.ckpt'), same, '--out', out, '--base-dir', dir);
        expect(res.code, res.err).to.equal(0);
        const p = readPredictions(await readFile(out, 'utf8'));
        expect(p.cluster).to.deep.equal(runAssignments.cluster);
        expect(p.label).to.equal(undefined);
        const narrow = join(dir, 'narrow.npy');
        await writeFile(narrow, npyBytes(new Float32Array(10), [2, 5]));
        const bad = await cli('predict', runDir, narrow, '--out', join(dir, 'bad.csv'), '--base-dir', dir);
        expect(bad.code).to.equal(2);
        expect(bad.err).to.match(/narrow.npy' has samples of shape \[5\]; the model takes vectors of 8 values/);
      });

      it('export writes model.json and TF.js weight shards with no machine path; loadClusterer assigns what eval did', async () => {
        const model = join(dir, 'model');
        const res = await cli('export', runDir, '--out', model, '--base-dir', dir);
        expect(res.code, res.err).to.equal(0);
        expect((await readdir(model)).sort()).to.deep.equal(['model.json', 'weights.bin']);
        const text = await readFile(join(model, 'model.json'), 'utf8');
        expect(text).to.not.include(dir);
        const json = JSON.parse(text) as ModelJson;
        expect(json.readouts.map((r) => r.name)).to.deep.equal(objective.readouts);
        expect(json.weightsSha256).to.match(/^[0-9a-f]{64}$/);
        expect(json.preprocessing).to.deep.equal({ input: 'vectors', dim: 8 });

        const before = tf.memory().numTensors;
        const clusterer = await loadClusterer(model);
        const p = await clusterer.predict(blobs.data);
        expect(Array.from(p.cluster)).to.deep.equal(runAssignments.cluster);
        expect(p.probabilities.length).to.equal(3 * blobs.data.length);
        const f = await clusterer.features(Float32Array.from(blobs.data.flat()));
        expect(f.dim).to.equal(8);
        clusterer.dispose();
        expect(tf.memory().numTensors).to.equal(before);

        // The CLI predicts from the exported folder the same way.
        const out = join(dir, 'exported.csv');
        const viaCli = await cli('predict', model, join(dir, 'blobs.json'), '--out', out);
        expect(viaCli.code, viaCli.err).to.equal(0);
        expect(readPredictions(await readFile(out, 'utf8')).cluster).to.deep.equal(runAssignments.cluster);
      });

      it('a model needing a backbone the loader lacks, or with altered weights, is refused with the reason', async () => {
        const model = join(dir, 'model');
        const json = JSON.parse(await readFile(join(model, 'model.json'), 'utf8')) as ModelJson;
        const plugin = join(dir, 'plugin-model');
        await cli('export', runDir, '--out', plugin, '--base-dir', dir);
        await writeFile(join(plugin, 'model.json'), JSON.stringify({ ...json, backbone: { ...json.backbone, id: 'my-plugin-net' } }));
        let err: unknown;
        await loadClusterer(plugin).catch((e) => (err = e));
        expect(err).to.be.instanceOf(ModelError);
        expect((err as Error).message).to.match(/needs backbone 'my-plugin-net', which this loader does not have \(it has: mlp, convnet, resnet18-cifar\)/);

        const weights = await readFile(join(model, 'weights.bin'));
        weights[17] ^= 1;
        await writeFile(join(plugin, 'weights.bin'), weights);
        await writeFile(join(plugin, 'model.json'), JSON.stringify(json));
        err = undefined;
        await loadClusterer(plugin).catch((e) => (err = e));
        expect((err as Error).message).to.match(/weights do not match their checksum/);

        // model.json is untrusted: a field of the wrong type is named, not followed.
        const [group] = json.weightsManifest;
        const odd = { ...json, weightsManifest: [{ ...group, weights: [{ ...group.weights[0], dtype: 'string' }, ...group.weights.slice(1)] }] };
        await writeFile(join(plugin, 'model.json'), JSON.stringify(odd));
        err = undefined;
        await loadClusterer(plugin).catch((e) => (err = e));
        expect((err as Error).message).to.match(/model.json has weight .*"dtype":"string".*expected \{ name, shape, dtype: float32 \| int32 \}/);
        // Nothing outside the model's folder is read.
        await writeFile(join(plugin, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ ...group, paths: ['../model/weights.bin'] }] }));
        err = undefined;
        await loadClusterer(plugin).catch((e) => (err = e));
        expect((err as Error).message).to.match(/file name '..\/model\/weights.bin' in its manifest is not a plain file name of its folder/);
        await writeFile(join(plugin, 'model.json'), JSON.stringify({ ...json, format: 'tfjs-layers' }));
        err = undefined;
        await loadClusterer(plugin).catch((e) => (err = e));
        expect((err as Error).message).to.match(/not a clusterflow model \(format 'tfjs-layers'/);
      });
    });
  }
});
