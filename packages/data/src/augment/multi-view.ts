import type * as tfc from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  ConfigError,
  ShapeError,
  componentRef,
  tf,
  type Augmentation,
  type AugmentationContext,
  type AugmentationFactory,
  type ComponentRef,
  type Rng,
  type Transform,
} from '@clusterflow/core';
import { PRESET_NAMES, presetTransforms } from './presets.js';

/** A pipeline: registered transforms in order, or the name of a preset (see presetTransforms). */
const pipelineSpec = z.union([z.array(componentRef), z.enum(PRESET_NAMES)]);
export type PipelineSpec = z.infer<typeof pipelineSpec>;

export const multiViewOptions = z
  .object({
    views: z.number().int().positive().optional().describe('number of views per batch (2 for SimCLR-style objectives); default 2, or one per pipeline'),
    transforms: pipelineSpec
      .optional()
      .describe(
        "registered transforms { id, options } applied in order to every view, or a preset: 'default', 'weak', 'strong'; default: the default preset for the channel count (see presetTransforms)",
      ),
    pipelines: z
      .array(pipelineSpec)
      .min(1)
      .optional()
      .describe('one pipeline per view, in view order (transforms or a preset name): [weak, strong] gives self-labelling its weak view 0 and strong view 1'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.pipelines && o.transforms !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pipelines'], message: 'give either transforms (every view) or pipelines (one per view), not both' });
    }
    if (o.pipelines && o.views !== undefined && o.views !== o.pipelines.length) {
      ctx.addIssue({ code: 'custom', path: ['views'], message: `views ${o.views} contradicts ${o.pipelines.length} pipelines` });
    }
  });

export type MultiViewOptions = z.infer<typeof multiViewOptions>;

/** The transform list a pipeline stands for on images of `channels` channels. */
function refsOf(spec: PipelineSpec | undefined, channels: number): ComponentRef[] {
  if (spec === undefined) return presetTransforms(channels);
  return typeof spec === 'string' ? presetTransforms(channels, spec) : spec;
}

/**
 * Views of an image batch through pipelines of registered transforms, each view
 * with its own draws from rng: the same pipeline for every view (`transforms`),
 * or one per view (`pipelines`: a weak and a strong view). Each transform is
 * built for the shape the previous one outputs, so a crop to a new size is
 * followed by transforms that check that size; every pipeline must end at the
 * same shape, since the views share one backbone.
 */
export function multiView(options: z.input<typeof multiViewOptions>, ctx: AugmentationContext): Augmentation {
  const o = multiViewOptions.parse(options);
  const { sampleShape } = ctx;
  if (sampleShape.length !== 3) {
    throw new ConfigError(`augmentation 'multi-view' needs image samples [H, W, C], got [${sampleShape}] (use 'identity' for vectors)`);
  }
  const specs = o.pipelines ?? Array.from({ length: o.views ?? 2 }, () => o.transforms);
  const build = (spec: PipelineSpec | undefined) => {
    const transforms: Transform[] = [];
    let shape: readonly number[] = sampleShape;
    for (const ref of refsOf(spec, sampleShape[2])) {
      const t = ctx.registry.build('transform', ref, { sampleShape: shape });
      transforms.push(t);
      shape = t.outputShape(shape);
    }
    return { transforms, shape };
  };
  // A pipeline shared by every view is built once.
  const built = o.pipelines ? o.pipelines.map(build) : [build(o.transforms)];
  const pipelines = specs.map((_, v) => built[o.pipelines ? v : 0].transforms);
  const ends = built.map((b) => b.shape.join('x'));
  if (new Set(ends).size > 1) {
    throw new ConfigError(`augmentation 'multi-view': the pipelines end at different shapes (${ends.join(', ')}); the views share one backbone`);
  }
  const outputShape = (s: readonly number[]) => pipelines[0].reduce<number[]>((acc, t) => t.outputShape(acc), [...s]);
  return {
    id: 'multi-view',
    numViews: pipelines.length,
    outputShape,
    views(x: tfc.Tensor, rng: Rng): tfc.Tensor[] {
      if (x.rank !== 4 || x.shape.slice(1).some((d, i) => d !== sampleShape[i])) {
        throw new ShapeError(`multi-view: expected a batch [B, ${sampleShape}], got [${x.shape}]`);
      }
      return pipelines.map((transforms) =>
        tf.tidy(() => {
          const y = transforms.reduce((acc, t) => t.apply(acc, rng), x as tfc.Tensor4D);
          // Views are owned by the caller: never hand back `x` itself.
          return y === x ? tf.clone(x) : y;
        }),
      );
    },
  };
}

export const multiViewAugmentation: AugmentationFactory<MultiViewOptions> = {
  id: 'multi-view',
  description: 'N views of an image batch, each through a pipeline of registered transforms (own draws per view): one for all views, or one per view',
  options: multiViewOptions,
  create: (options, ctx) => multiView(options, ctx),
  // Transform ids and options are looked up when the config is validated, so a
  // misspelt transform fails before the dataset loads. What depends on the image
  // shape (colour-only transforms on gray images) can only fail in `create`.
  check(options, registry) {
    for (const spec of [options.transforms, ...(options.pipelines ?? [])]) {
      if (Array.isArray(spec)) for (const ref of spec) registry.options('transform', ref);
    }
  },
};
