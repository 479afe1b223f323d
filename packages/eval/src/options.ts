import { ConfigError } from '@clusterflow/core';
import type { z } from 'zod';

/** Parses options with a zod schema; a failure names the function, field and value. */
export function parseOptions<T>(fn: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`).join('; ');
  throw new ConfigError(`${fn}: invalid options: ${issues}`);
}
