import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type SchemaTree } from 'hyparquet';
import { DataError } from '../errors.js';
import { checkLabel } from './labels.js';
import type { VectorTable } from './npy.js';

export interface ParquetVectorOptions {
  /** The list column holding each row's vector; default: the one list column, or else every numeric column. */
  column?: string;
  /** The integer label column, by name; absent: no labels. */
  labelColumn?: string;
  /** Numeric columns that are not values (an id), when the values are numeric columns. */
  ignoreColumns?: readonly string[];
}

const NUMERIC = new Set(['FLOAT', 'DOUBLE', 'INT32', 'INT64']);

/**
 * Reads vectors from a Parquet file with hyparquet (pure JavaScript, no native
 * code, runs in Node and browsers; it decodes the file row group by row group):
 * a list (or fixed-size-list) column, or numeric columns, plus an optional
 * label column. Each row group's values are copied into one Float32Array as it
 * is decoded, so the only JS arrays alive are those of one row group.
 */
export async function readParquetVectors(path: string, opts: ParquetVectorOptions = {}): Promise<VectorTable> {
  let file;
  let metadata;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new DataError(`cannot read '${path}' as Parquet: ${(err as Error).message}`, { cause: err });
  }
  const n = Number(metadata.num_rows);
  const top = parquetSchema(metadata).children;
  const byName = new Map(top.map((c) => [c.element.name, c]));
  const all = () => top.map((c) => `'${c.element.name}' (${describe(c)})`).join(', ');
  const need = (name: string, what: string) => {
    const c = byName.get(name);
    if (!c) throw new DataError(`'${path}': ${what} '${name}' is not a column; it has ${all()}`);
    return c;
  };
  if (opts.labelColumn !== undefined) {
    const l = need(opts.labelColumn, 'label column');
    if (isList(l) || !NUMERIC.has(l.element.type ?? ''))
      throw new DataError(`'${path}': label column '${opts.labelColumn}' is ${describe(l)}, not an integer column`);
  }
  for (const c of opts.ignoreColumns ?? []) need(c, 'ignored column');
  let listColumn: string | undefined;
  let valueColumns: string[] = [];
  if (opts.column !== undefined) {
    const c = need(opts.column, 'vector column');
    if (!isList(c) || !NUMERIC.has(leafType(c))) throw new DataError(`'${path}': vector column '${opts.column}' is ${describe(c)}, not a list of numbers`);
    listColumn = opts.column;
  } else {
    const rest = top.filter((c) => c.element.name !== opts.labelColumn && !(opts.ignoreColumns ?? []).includes(c.element.name));
    const lists = rest.filter(isList);
    if (lists.length > 1)
      throw new DataError(
        `'${path}' has several list columns (${lists.map((c) => `'${c.element.name}'`).join(', ')}); name the vector column with the 'column' option`,
      );
    if (lists.length === 1) {
      if (!NUMERIC.has(leafType(lists[0])))
        throw new DataError(`'${path}': list column '${lists[0].element.name}' is ${describe(lists[0])}, not a list of numbers`);
      listColumn = lists[0].element.name;
    } else {
      const bad = rest.find((c) => !NUMERIC.has(c.element.type ?? ''));
      if (bad) throw new DataError(`'${path}': column '${bad.element.name}' is ${describe(bad)}, not numeric; leave it out with 'ignoreColumns'`);
      valueColumns = rest.map((c) => c.element.name);
      if (valueColumns.length === 0) throw new DataError(`'${path}' has no value columns; it has ${all()}`);
    }
  }
  let dim = listColumn ? 0 : valueColumns.length;
  let out = listColumn ? undefined : new Float32Array(n * dim);
  const labels = opts.labelColumn === undefined ? undefined : new Int32Array(n);
  const columns = [...(listColumn ? [listColumn] : valueColumns), ...(opts.labelColumn === undefined ? [] : [opts.labelColumn])];
  const valueIndex = new Map(valueColumns.map((c, j) => [c, j]));
  // Errors thrown inside onChunk would surface out of order; keep the first and rethrow it.
  let failure: DataError | undefined;
  const fail = (msg: string) => (failure ??= new DataError(msg));
  try {
    await parquetRead({
      file,
      metadata,
      columns,
      onChunk: ({ columnName, columnData, rowStart }) => {
        if (failure) return;
        for (let i = 0; i < columnData.length; i++) {
          const row = rowStart + i;
          if (row >= n) break;
          const v = columnData[i] as unknown;
          if (columnName === opts.labelColumn) {
            try {
              labels![row] = checkLabel(v, path, `row ${row}`, columnName);
            } catch (err) {
              return void (failure ??= err as DataError);
            }
          } else if (columnName === listColumn) {
            if (!Array.isArray(v) && !ArrayBuffer.isView(v))
              return void fail(`'${path}', row ${row}, column '${columnName}': ${v === null || v === undefined ? 'null' : 'not a list'}, expected a vector`);
            const vec = v as ArrayLike<number | bigint>;
            if (!out) {
              dim = vec.length;
              if (dim === 0) return void fail(`'${path}', row ${row}, column '${columnName}': an empty vector`);
              out = new Float32Array(n * dim);
            }
            if (vec.length !== dim)
              return void fail(`'${path}', row ${row}, column '${columnName}': ${vec.length} values, expected ${dim} like the rows before (a ragged column)`);
            for (let j = 0; j < dim; j++) {
              const x = Number(vec[j]);
              if (!Number.isFinite(x))
                return void fail(`'${path}', row ${row}, column '${columnName}', element ${j}: ${String(vec[j])} is not a finite number`);
              out[row * dim + j] = x;
            }
          } else {
            const x = Number(v);
            if (v === null || !Number.isFinite(x)) return void fail(`'${path}', row ${row}, column '${columnName}': ${String(v)} is not a finite number`);
            out![row * dim + valueIndex.get(columnName)!] = x;
          }
        }
      },
    });
  } catch (err) {
    throw new DataError(`cannot read '${path}' as Parquet: ${(err as Error).message}`, { cause: err });
  }
  if (failure) throw failure;
  if (!out || n === 0) throw new DataError(`'${path}' holds no rows`);
  return { data: out, dim, labels };
}

const isList = (c: SchemaTree) => c.element.converted_type === 'LIST' || c.element.logical_type?.type === 'LIST' || c.element.repetition_type === 'REPEATED';

function leafType(c: SchemaTree): string {
  let t = c;
  while (t.children.length > 0) t = t.children[0];
  return t.element.type ?? 'group';
}

const describe = (c: SchemaTree) => (isList(c) ? `a list of ${leafType(c)}` : c.children.length > 0 ? 'a group' : (c.element.type ?? 'unknown'));
