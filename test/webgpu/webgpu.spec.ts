// Every objective and every backbone trains on WebGPU as it does on cpu: the same
// losses, gradients and assignments within stated tolerances, and no tensor left
// behind. Runs wherever Dawn finds an adapter; CI gives it SwiftShader (a software
// Vulkan from Debian's chromium package), which is slow, so the models are small:
// the MLP with one hidden layer of 32, and 8 x 8 crops for the conv nets.
import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRegistry,
  Registry,
  buildRun,
  evaluateModel,
  paramGroups,
  parseRunConfig,
  resolveRunConfig,
  selectBackend,
  tf,
  trainStep,
  type RunConfigInput,
} from '@clusterflow/core';
import { register as data } from '@clusterflow/data';
import { register as backbones } from '@clusterflow/backbones';
import { register as evaluation } from '@clusterflow/eval';
import { register as objectives } from '@clusterflow/objectives';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'data', 'test', 'fixtures');
const STEPS = 3;
const LR = 0.05;

function registry(): Registry {
  const r = createRegistry();
  for (const [name, register] of Object.entries({ data, backbones, evaluation, objectives })) register(r.registrar(name));
  return r;
}

interface Case {
  name: string;
  backbone: RunConfigInput['backbone'];
  objective: RunConfigInput['objective'];
  /** 8 x 8 crops for the conv nets (each sample's crop drawn on the host, the same on both backends). */
  crops?: boolean;
  /**
   * One step and no evaluation: what ResNet-18 can afford on SwiftShader, which
   * compiles every one of its many kernels' shaders on first use.
   */
  short?: boolean;
}

const MLP = { id: 'mlp', options: { hidden: [32], featureDim: 16, batchNorm: true } };
const CASES: Case[] = [
  { name: 'simclr on mlp', backbone: MLP, objective: [{ id: 'simclr' }] },
  { name: 'cc on mlp', backbone: MLP, objective: [{ id: 'cc' }] },
  { name: 'secu (size) on mlp', backbone: MLP, objective: [{ id: 'secu', options: { constraint: 'size', ks: [10, 20] } }] },
  { name: 'secu (entropy) on mlp', backbone: MLP, objective: [{ id: 'secu', options: { constraint: 'entropy', ks: [10, 20] } }] },
  { name: 'concurl on mlp', backbone: MLP, objective: [{ id: 'concurl', options: { numProjections: 4 } }] },
  { name: 'cc + secu on mlp', backbone: MLP, objective: [{ id: 'cc' }, { id: 'secu', weight: 0.5, options: { constraint: 'size', ks: [10] } }] },
  { name: 'cc on convnet', backbone: { id: 'convnet' }, objective: [{ id: 'cc' }], crops: true },
  { name: 'cc on resnet18-cifar', backbone: { id: 'resnet18-cifar' }, objective: [{ id: 'cc' }], crops: true, short: true },
];

function config(c: Case): RunConfigInput {
  return {
    seed: 3,
    data: { id: 'idx', options: { images: join(fixtures, 'fmnist64-images-idx3-ubyte.gz'), labels: join(fixtures, 'fmnist64-labels-idx1-ubyte.gz') } },
    augmentation: c.crops
      ? { id: 'multi-view', options: { views: 2, transforms: [{ id: 'random-resized-crop', options: { size: [8, 8], scale: [0.5, 1] } }, { id: 'flip' }] } }
      : { id: 'identity', options: { views: 2 } },
    backbone: c.backbone,
    objective: c.objective,
    numClusters: 10,
    // Plain SGD: after the first step, (weights before - weights after) / lr is the gradient.
    optimizer: { id: 'sgd', options: { lr: LR, momentum: 0, weightDecay: 0 } },
    train: { batchSize: c.crops ? 4 : 16 },
    eval: { batchSize: 64 },
  };
}

interface Trace {
  losses: Record<string, number>[];
  /** The first step's gradient of every trainable variable, flattened in order. */
  gradient: Float32Array;
  /** Host state after the steps (label memories, counts, duals) and the read-outs of an evaluation. */
  host: Record<string, number[]>;
  readouts: Record<string, number[]>;
  stepTensors: number[];
}

async function values(vars: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map(async (v) => Float32Array.from(await v.data())));
}

/** STEPS training steps of a case on one backend, from the same seed, and what they produced. */
async function trace(c: Case, backend: 'cpu' | 'webgpu'): Promise<Trace> {
  await selectBackend(backend);
  const r = registry();
  const cfg = resolveRunConfig(parseRunConfig({ ...config(c), backend }), r);
  const run = await buildRun(cfg, r, '.');
  const optimizer = r.build('optimizer', cfg.optimizer, {});
  try {
    const groups = paramGroups(run);
    const vars = groups.flatMap((g) => g.variables);
    const losses: Record<string, number>[] = [];
    const stepTensors: number[] = [];
    let gradient = new Float32Array(0);
    const b = cfg.train.batchSize;
    for (let step = 0; step < (c.short ? 1 : STEPS); step++) {
      const w0 = step === 0 ? await values(vars) : [];
      const indices = Int32Array.from({ length: b }, (_, i) => (step * b + i) % run.dataset.size);
      // Epoch 1, so SeCu's encoder trains too (its epoch 0 only moves the centers).
      losses.push(await trainStep(run, optimizer, groups, { indices, epoch: 1, step, lr: LR }));
      stepTensors.push(tf.memory().numTensors);
      if (step === 0) {
        const w1 = await values(vars);
        gradient = Float32Array.from(w0.flatMap((w, i) => Array.from(w, (x, j) => (x - w1[i][j]) / LR)));
      }
    }
    const host: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(run.objective.getState())) if (ArrayBuffer.isView(v)) host[k] = Array.from(v);
    const readouts: Record<string, number[]> = {};
    if (!c.short) for (const [k, v] of Object.entries((await evaluateModel(cfg.eval, run, r)).readouts)) readouts[k] = Array.from(v);
    return { losses, gradient, host, readouts, stepTensors };
  } finally {
    optimizer.dispose();
    run.objective.dispose();
    run.backbone.dispose();
  }
}

/** max |a - b| relative to max |a|. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

function agreement(a: number[], b: number[]): number {
  return a.filter((x, i) => x === b[i]).length / a.length;
}

describe('WebGPU trains every objective and backbone as cpu does', function () {
  this.timeout(900_000);
  let adapter = '';

  before(async function () {
    try {
      adapter = (await selectBackend('webgpu')).summary;
    } catch (err) {
      console.log(`      (skipped: ${(err as Error).message}; in CI, VK_ICD_FILENAMES points Dawn at SwiftShader)`);
      this.skip();
    }
  });

  after(async () => {
    await selectBackend('cpu');
  });

  it('is set up from `backend: webgpu` in Node and says which adapter it runs on', () => {
    expect(adapter).to.match(/^backend: webgpu; (software )?adapter /);
  });

  it('is never what `auto` picks when the adapter is a software one', async function () {
    if (!/software adapter/.test(adapter)) this.skip();
    const auto = await selectBackend('auto');
    expect(auto.name).to.not.equal('webgpu');
    expect(auto.summary).to.match(/webgpu: only a software adapter/);
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.short ? 1 : STEPS} step(s) match cpu (losses, gradient, assignments), no tensor left`, async () => {
      const cpu = await trace(c, 'cpu');
      const before = tf.memory().numTensors;
      const gpu = await trace(c, 'webgpu');
      expect(tf.memory().numTensors, 'tensors left on webgpu').to.equal(before);
      // From the second step on, every step ends with as many tensors as the one before.
      if (gpu.stepTensors.length > 1) expect(new Set(gpu.stepTensors.slice(1)).size, `tensors per step: ${gpu.stepTensors}`).to.equal(1);
      for (let s = 0; s < cpu.losses.length; s++) {
        const parts = Object.keys(cpu.losses[s]);
        expect(Object.keys(gpu.losses[s])).to.deep.equal(parts);
        for (const p of parts) {
          const [x, y] = [cpu.losses[s][p], gpu.losses[s][p]];
          expect(Math.abs(x - y), `step ${s} loss '${p}': cpu ${x}, webgpu ${y}`).to.be.at.most(1e-3 * Math.max(1, Math.abs(x)));
        }
      }
      expect(relDiff(cpu.gradient, gpu.gradient), 'first step gradient').to.be.at.most(1e-3);
      for (const [k, v] of Object.entries(cpu.host)) {
        expect(agreement(v, gpu.host[k]), `host state '${k}'`).to.be.at.least(k.startsWith('duals') ? 0 : 0.97);
        if (k.startsWith('duals')) expect(relDiff(v, gpu.host[k]), `host state '${k}'`).to.be.at.most(1e-3);
      }
      for (const [k, v] of Object.entries(cpu.readouts)) expect(agreement(v, gpu.readouts[k]), `read-out '${k}'`).to.be.at.least(0.95);
    });
  }
});
