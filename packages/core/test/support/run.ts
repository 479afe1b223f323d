import { lastValueFrom, toArray } from 'rxjs';
import { train, type Registry, type TrainEvent } from '@clusterflow/core';

/** Runs a config to completion and returns every event. */
export function runAll(config: unknown, registry: Registry, baseDir?: string): Promise<TrainEvent[]> {
  return lastValueFrom(train(config as never, { registry, baseDir }).pipe(toArray()));
}

/** The error a run ends with (fails the test if it completes). */
export async function runError(config: unknown, registry: Registry, baseDir?: string): Promise<Error> {
  try {
    await runAll(config, registry, baseDir);
  } catch (err) {
    return err as Error;
  }
  throw new Error('the run completed, but an error was expected');
}
