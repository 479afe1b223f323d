import type { z } from 'zod';
import { ConfigError } from '../errors.js';

/** Validates a value against a schema; errors name every bad field, the value found and what is allowed. */
export function validate<T extends z.ZodType>(schema: T, input: unknown, source: string): z.output<T> {
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  const lines = res.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(root)';
    const value = valueAt(input, issue.path);
    return `  ${path}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
  });
  throw new ConfigError(`invalid ${source}:\n${lines.join('\n')}`);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
