import { z } from 'zod';

/** `{ id, options }`: a registered component and its options (validated by the component's own schema). */
export const componentRef = z
  .object({
    id: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** One term of the objective: a weighted sum of these is trained over one backbone. */
export const objectivePart = componentRef
  .extend({
    weight: z.number().default(1),
    /** Name its loss parts are reported under; defaults to the id. */
    name: z.string().min(1).optional(),
  })
  .strict();

export const trainSection = z
  .object({
    epochs: z.number().int().positive().default(10),
    batchSize: z.number().int().positive().default(256),
    /** Drop the last incomplete batch (contrastive and balanced-assignment losses assume full batches). */
    dropLast: z.boolean().default(true),
    /** Cap on steps per epoch, for smoke runs; 0 means the whole dataset. */
    maxStepsPerEpoch: z.number().int().min(0).default(0),
    /** Write a checkpoint every this many epochs (0: only at the end when checkpointDir is set). */
    checkpointEvery: z.number().int().min(0).default(0),
    checkpointDir: z.string().optional(),
    /** A checkpoint to resume from. */
    resume: z.string().optional(),
    /** Emit a step event every this many steps. */
    logEvery: z.number().int().positive().default(1),
  })
  .strict();

/** What a stage may set of the run's `train:` section (the rest is the run's). */
export const stageTrainSection = z
  .object({
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    dropLast: z.boolean(),
    maxStepsPerEpoch: z.number().int().min(0),
  })
  .partial()
  .strict();

/**
 * One stage of a multi-stage run: its own objective(s), and optionally its own
 * augmentation, optimizer, schedule and training length (default: the run's). It
 * starts from the previous stage's backbone, and from the cluster head that stage
 * ended with when `head: previous` (self-labelling after SCAN).
 */
export const stageConfig = z
  .object({
    /** Names the stage in events, checkpoint files and results. */
    name: z.string().regex(/^[\w.-]+$/, 'letters, digits, ".", "_" and "-"'),
    objective: z.array(objectivePart).min(1),
    augmentation: componentRef.optional(),
    optimizer: componentRef.optional(),
    schedule: componentRef.optional(),
    train: stageTrainSection.default({}),
    head: z.enum(['new', 'previous']).default('new'),
  })
  .strict();

export const evalSection = z
  .object({
    /** Evaluate every this many epochs, and always after the last one; 0 evaluates only at the end. */
    every: z.number().int().min(0).default(1),
    metrics: z.array(z.string()).default(['acc', 'nmi', 'ari']),
    batchSize: z.number().int().positive().default(512),
    /** Which read-out of the objective the metrics use (default: its first). */
    readout: z.string().optional(),
    /**
     * Also `featureKnnPurity`: the share of each sample's k nearest neighbours (cosine, backbone
     * features) that share its label, a representation's quality apart from its cluster
     * head. A k-NN search over the dataset at every evaluation (minutes at 70k).
     */
    knnPurity: z.number().int().min(1).optional(),
  })
  .strict();

/**
 * Where a run's weights start, other than fresh (MMEngine's `load_from`, for the
 * backbone): the backbone of a checkpoint another run wrote. Objective, optimizer,
 * schedule and epochs start fresh; a resumed run restores its own checkpoint instead.
 */
export const initSection = z
  .object({
    /** A checkpoint (.ckpt) whose backbone weights this run starts from; `{seed}` stands for the run's seed; relative to the config's folder. */
    backbone: z.string().min(1),
  })
  .strict();

/** The largest seed: the RNG is seeded with 32 bits. */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * A run. Every part is `{ id, options }`, looked up in the registry and validated
 * by its own schema; only `data` and `objective` are required: augmentation and
 * backbone default to the dataset's, the optimizer to Adam at 3e-4.
 */
export const runConfig = z
  .object({
    name: z.string().default('run'),
    /** The RNG takes 32 bits: larger seeds would repeat smaller ones. */
    seed: z.number().int().min(0).max(MAX_SEED, `a seed is at most ${MAX_SEED} (the random generator takes 32 bits)`).default(0),
    /** `auto`, a backend's id, or `{ id, options }`. */
    backend: z.union([z.string().min(1), componentRef]).default('auto'),
    /** Plugins to import before any component is looked up: npm names or paths. */
    plugins: z.array(z.string()).default([]),
    data: componentRef,
    /** Default: the dataset's own (its preset views). */
    augmentation: componentRef.optional(),
    /** Default: the dataset's own. */
    backbone: componentRef.optional(),
    /** Start from another run's trained backbone (for example stage 1 of a pipeline, to try its later stages another way). */
    init: initSection.optional(),
    /** The objective(s) of a one-stage run: a weighted sum over one backbone. */
    objective: z.array(objectivePart).min(1).optional(),
    /** Or the stages of a multi-stage run, one after another over one backbone (the run's fields are their defaults). */
    stages: z.array(stageConfig).min(1).optional(),
    /** Number of clusters; defaults to the dataset's number of classes. */
    numClusters: z.number().int().positive().optional(),
    optimizer: componentRef.default({ id: 'adam', options: { lr: 3e-4 } }),
    schedule: componentRef.default({ id: 'constant', options: {} }),
    /** Hooks besides the default ones (evaluate, collapse-warning, checkpoint); one with a default's id replaces it. */
    hooks: z.array(componentRef).default([]),
    train: trainSection.default(trainSection.parse({})),
    eval: evalSection.default(evalSection.parse({})),
  })
  .strict()
  .refine((c) => (c.objective === undefined) !== (c.stages === undefined), {
    message: 'a run names its objective, or its stages (each with its objective), not both and not neither',
    path: ['objective'],
  })
  .refine((c) => new Set((c.stages ?? []).map((s) => s.name)).size === (c.stages ?? []).length, {
    message: 'stage names must be unique',
    path: ['stages'],
  })
  .refine((c) => c.stages?.[0]?.head !== 'previous', {
    message: 'the first stage has no previous stage whose cluster head it could start from: use head: new (or drop it)',
    path: ['stages', 0, 'head'],
  });

/** A run config as written by a user (defaults optional). */
export type RunConfigInput = z.input<typeof runConfig>;
/** A run config with every default filled in, except those that come from the dataset. */
export type ParsedRunConfig = z.output<typeof runConfig>;
export type ComponentRefConfig = z.output<typeof componentRef>;
/** A run config as a run uses it: the dataset's defaults filled in too (see `resolveRunConfig`). */
export type RunConfig = ParsedRunConfig & { augmentation: ComponentRefConfig; backbone: ComponentRefConfig };
export type StageConfig = z.output<typeof stageConfig>;
export type ObjectivePartConfig = z.output<typeof objectivePart>;
