import { DataError } from '../errors.js';

/**
 * A class label read from a file: a non-negative integer below 2^31, given as a
 * number, a bigint or text. In errors, `where` says where ("row 3", "line 5") and `column` names the column.
 */
export function checkLabel(raw: unknown, file: string, where: string, column: string): number {
  const value = typeof raw === 'string' ? (raw.trim() === '' ? NaN : Number(raw)) : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    const shown = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
    throw new DataError(`'${file}', ${where}, column '${column}': label ${shown} is not a non-negative integer`);
  }
  return value;
}
