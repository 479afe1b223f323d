import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import { DataError } from '../errors.js';
import { checkLabel } from './labels.js';
import type { VectorTable } from './npy.js';

export interface CsvVectorOptions {
  /** Whether the first line names the columns; 'auto' (default): when any of its fields is not a number. */
  header?: boolean | 'auto';
  /** The label column: its name (with a header) or its 0-based index; absent: no labels. */
  labelColumn?: string | number;
  /** Columns that are neither values nor the label (an id, pandas' unnamed index ''), by name or index. */
  ignoreColumns?: readonly (string | number)[];
  /** Field separator; default: a tab for .tsv, a comma otherwise. */
  delimiter?: string;
}

/**
 * Reads numeric vectors, one row per line, from a CSV or TSV file, streaming:
 * csv-parse (a well-kept streaming parser that handles quoting) yields one row at
 * a time and its values go straight into a growing Float32Array, so no JS array
 * of all rows is ever built. Every error names the file, the line and the column.
 */
export async function readCsvVectors(path: string, opts: CsvVectorOptions = {}): Promise<VectorTable> {
  const delimiter = opts.delimiter ?? (extname(path).toLowerCase() === '.tsv' ? '\t' : ',');
  const parser = createReadStream(path).pipe(parse({ delimiter, info: true, relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }));
  let names: string[] | undefined;
  let plan: { values: number[]; label?: number; width: number; name: (c: number) => string } | undefined;
  let buf = new Float32Array(1 << 16);
  let labels: number[] | undefined;
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!plan) {
        const isHeader = opts.header === 'auto' || opts.header === undefined ? record.some((f) => f === '' || !Number.isFinite(Number(f))) : opts.header;
        if (isHeader) names = record;
        plan = columnPlan(path, record.length, names, opts);
        if (opts.labelColumn !== undefined) labels = [];
        if (isHeader) continue;
      }
      if (record.length !== plan.width) {
        throw new DataError(`'${path}', line ${line}: ${record.length} fields where the ${names ? 'header' : 'first row'} has ${plan.width} (a ragged row)`);
      }
      const dim = plan.values.length;
      if ((rows + 1) * dim > buf.length) {
        const grown = new Float32Array(buf.length * 2);
        grown.set(buf);
        buf = grown;
      }
      for (let j = 0; j < dim; j++) {
        const c = plan.values[j];
        const text = record[c];
        const v = text === '' ? NaN : Number(text);
        if (!Number.isFinite(v)) throw new DataError(`'${path}', line ${line}, column ${plan.name(c)}: value ${JSON.stringify(text)} is not a finite number`);
        buf[rows * dim + j] = v;
      }
      if (labels) labels.push(checkLabel(record[plan.label!], path, `line ${line}`, names ? names[plan.label!] : String(plan.label)));
      rows++;
    }
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`cannot read '${path}' as ${delimiter === '\t' ? 'TSV' : 'CSV'}: ${(err as Error).message}`, { cause: err });
  } finally {
    parser.destroy();
  }
  if (!plan || rows === 0) throw new DataError(`'${path}' holds no rows of values`);
  const dim = plan.values.length;
  return { data: buf.slice(0, rows * dim), dim, labels: labels && Int32Array.from(labels) };
}

/** Which fields are values and which is the label, checked against the header (or the first row's width). */
function columnPlan(path: string, width: number, names: string[] | undefined, opts: CsvVectorOptions) {
  const name = (c: number) => (names ? `'${names[c]}'` : `${c}`);
  const find = (ref: string | number, what: string): number => {
    if (typeof ref === 'number' || (!names && /^\d+$/.test(ref))) {
      const c = Number(ref);
      if (c >= width) throw new DataError(`'${path}': ${what} ${c} does not exist; rows have ${width} columns (0 to ${width - 1})`);
      return c;
    }
    if (!names) throw new DataError(`'${path}': ${what} '${ref}' is a name, but the file has no header line; give its 0-based index`);
    const c = names.indexOf(ref);
    if (c < 0) throw new DataError(`'${path}': ${what} '${ref}' is not in the header (${names.map((n) => `'${n}'`).join(', ')})`);
    return c;
  };
  const label = opts.labelColumn === undefined ? undefined : find(opts.labelColumn, 'label column');
  const ignored = new Set((opts.ignoreColumns ?? []).map((r) => find(r, 'ignored column')));
  const values = Array.from({ length: width }, (_, c) => c).filter((c) => c !== label && !ignored.has(c));
  if (values.length === 0) throw new DataError(`'${path}': no value columns are left besides the label and ignored columns`);
  return { values, label, width, name };
}
