/**
 * A bench config: several run configs, trained one after another and reported together.
 *
 * ```yaml
 * name: default            # optional; names the bench in results.md (default: the file's name)
 * defaults:                # optional; merged into every run (a partial core run config)
 *   data: { id: fashion-mnist }
 *   backbone: { id: mlp, options: { featureDim: 128 } }
 *   train: { epochs: 5, batchSize: 256 }
 * runs:                    # required; each is a core run config (see runConfig in @clusterflow/core)
 *   - name: simclr         # must be unique: it names the run's output folder <out>/<name>-seed<k>/
 *     objective: [{ id: simclr }]
 *   - name: cc
 *     objective: [{ id: cc }]
 *     train: { epochs: 3 } # objects merge key by key with the defaults (here: batchSize stays 256)
 *   - name: cc-pick        # bench-only: train 3 seeds for 5 epochs, go on with the lowest cluster loss
 *     objective: [{ id: cc }]
 *     candidates: { count: 3, epochs: 5, loss: cluster }
 * ```
 *
 * Merging is deep for objects and replaces everything else: a run's `objective` list
 * replaces the default list instead of being appended to it. Each merged run is then
 * validated against core's `runConfig`, so an error names the run and the field.
 * Relative paths (plugins, data) are resolved against the bench config's folder.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { ConfigError, parseRunConfig, readConfigFile, validate, type ParsedRunConfig } from '@clusterflow/core';
import { z } from 'zod';
import { candidatesConfig, type Candidates } from './candidates-config.js';

export const benchConfig = z
  .object({
    name: z.string().min(1).optional(),
    defaults: z.record(z.string(), z.unknown()).default({}),
    runs: z.array(z.record(z.string(), z.unknown())).min(1),
  })
  .strict();

export interface BenchPlan {
  name: string;
  /** Folder that relative paths in the runs are resolved against. */
  baseDir: string;
  runs: ParsedRunConfig[];
  /** The runs that choose among candidate seeds (`candidates:`), by run name. */
  candidates?: Record<string, Candidates>;
}

/** Validates a parsed bench config; `source` names it in errors. */
export function parseBenchConfig(input: unknown, source: string, fallbackName = 'bench'): Omit<BenchPlan, 'baseDir'> {
  const bench = validate(benchConfig, input, source);
  const candidates: Record<string, Candidates> = {};
  const runs = bench.runs.map((run, i) => {
    // `candidates` is the bench's to act on, not the run's: it stays out of the run config (and its hash).
    const { candidates: pick, ...merged } = deepMerge(bench.defaults, run);
    const label = typeof merged.name === 'string' ? ` ('${merged.name}')` : '';
    const where = `runs.${i}${label} of ${source}`;
    const parsed = parseRunConfig(merged, where);
    if (pick !== undefined) candidates[parsed.name] = parseCandidates(pick, parsed, where);
    return parsed;
  });
  const seen = new Map<string, number>();
  runs.forEach((r, i) => {
    const first = seen.get(r.name);
    if (first !== undefined) {
      throw new ConfigError(`invalid ${source}:\n  runs.${i}.name: run names must be unique, runs.${first} is also named (got "${r.name}")`);
    }
    seen.set(r.name, i);
  });
  return { name: bench.name ?? fallbackName, runs, ...(Object.keys(candidates).length > 0 ? { candidates } : {}) };
}

/** A run's `candidates:`, checked against its first stage: the choice is made inside it. */
function parseCandidates(input: unknown, run: ParsedRunConfig, where: string): Candidates {
  const pick = validate(candidatesConfig, input, `candidates of ${where}`);
  const first = run.stages?.[0];
  const epochs = first?.train?.epochs ?? run.train.epochs;
  if (pick.epochs >= epochs) {
    throw new ConfigError(
      `invalid candidates of ${where}:\n  candidates.epochs: the candidates are compared inside the first stage (${first ? `'${first.name}', ` : ''}${epochs} epochs), so it must be fewer (got ${pick.epochs})`,
    );
  }
  return pick;
}

/** Reads a YAML or JSON bench config. */
export async function loadBenchConfig(path: string): Promise<BenchPlan> {
  const raw = await readConfigFile(path);
  const fallback = basename(path, extname(path));
  return { ...parseBenchConfig(raw, `bench config ${path}`, fallback), baseDir: dirname(resolve(path)) };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` on top of `base`: plain objects merge recursively; arrays and scalars replace. */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : v;
  return out;
}
