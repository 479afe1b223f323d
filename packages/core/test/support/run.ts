import { lastValueFrom, toArray } from 'rxjs';
import { train, type Logger, type Registry, type TrainEvent, type TrainOptions } from '@clusterflow/core';

/** Keeps the specs' output clean; warnings are asserted through events. */
export const silentLogger: Logger = { info: () => {}, warn: () => {} };

/** Runs a config to completion and returns every event. */
export function runAll(config: unknown, registry: Registry, baseDir?: string, extra: Partial<TrainOptions> = {}): Promise<TrainEvent[]> {
  return lastValueFrom(train(config as never, { registry, baseDir, logger: silentLogger, ...extra }).pipe(toArray()));
}

/** The error a run ends with (fails the test if it completes). */
export async function runError(config: unknown, registry: Registry, baseDir?: string, extra: Partial<TrainOptions> = {}): Promise<Error> {
  try {
    await runAll(config, registry, baseDir, extra);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the run completed, but an error was expected');
}
