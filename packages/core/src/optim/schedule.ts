import type { Factory } from '../factory.js';

/** A learning-rate schedule: the factor applied to the optimizer's base rate. */
export interface Schedule {
  readonly id: string;
  /**
   * The learning rate at a fractional epoch (epoch + step / stepsPerEpoch) of a run of
   * `totalEpochs`; the loop also passes `stepsPerEpoch`, for a schedule whose formula counts steps.
   */
  lr(baseLr: number, epochFloat: number, totalEpochs: number, stepsPerEpoch?: number): number;
}

export type ScheduleFactory<O = any> = Factory<O, Record<string, never>, Schedule>;
