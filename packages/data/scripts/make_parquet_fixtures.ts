/**
 * Writes the Parquet fixtures of packages/data/test/vectors-files.spec.ts from the
 * values make_vector_fixtures.py wrote (expected.json). Written with
 * hyparquet-writer because Debian's Python here has no Parquet writer (no pyarrow,
 * no fastparquet). Run: npx tsx packages/data/scripts/make_parquet_fixtures.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'vectors');
const { values, labels } = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8')) as { values: number[][]; labels: number[] };
const dim = values[0].length;

const listSchema = (labelType: 'INT32' | 'DOUBLE') => [
  { name: 'root', num_children: 3 },
  { name: 'id', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'REQUIRED' as const },
  { name: 'embedding', repetition_type: 'REQUIRED' as const, converted_type: 'LIST' as const, num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type: 'FLOAT' as const, repetition_type: 'REQUIRED' as const },
  { name: 'label', type: labelType, repetition_type: 'REQUIRED' as const },
];
const ids = values.map((_, i) => `item-${i}`);
const write = (name: string, buf: ArrayBuffer) => writeFileSync(join(out, name), new Uint8Array(buf));

// A list<float> column, as pandas/pyarrow write an embedding column, with a string id and an integer label.
write('list.parquet', parquetWriteBuffer({ columnData: [{ name: 'id', data: ids }, { name: 'embedding', data: values }, { name: 'label', data: labels }], schema: listSchema('INT32'), rowGroupSize: 4 }));
// One numeric column per dimension (x0..x3 as DOUBLE) and an INT64 label.
write(
  'columns.parquet',
  parquetWriteBuffer({
    columnData: [
      ...Array.from({ length: dim }, (_, j) => ({ name: `x${j}`, data: Float64Array.from(values, (r) => r[j]), type: 'DOUBLE' as const })),
      { name: 'label', data: BigInt64Array.from(labels, (l) => BigInt(l)), type: 'INT64' as const },
    ],
  }),
);
const ragged = values.map((r, i) => (i === 4 ? r.slice(0, dim - 1) : r));
write('ragged.parquet', parquetWriteBuffer({ columnData: [{ name: 'id', data: ids }, { name: 'embedding', data: ragged }, { name: 'label', data: labels }], schema: listSchema('INT32') }));
write('label-frac.parquet', parquetWriteBuffer({ columnData: [{ name: 'id', data: ids }, { name: 'embedding', data: values }, { name: 'label', data: labels.map((l, i) => (i === 3 ? 1.5 : l)) }], schema: listSchema('DOUBLE') }));
console.log('wrote list.parquet, columns.parquet, ragged.parquet, label-frac.parquet');
