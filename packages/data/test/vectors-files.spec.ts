import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend, tf } from '@clusterflow/core';
import { DataError, readVectors, type HostDataset } from '@clusterflow/data';

// Fixtures written by NumPy and pandas (fixtures/make_vector_fixtures.py) and,
// for Parquet, by hyparquet-writer (fixtures/make_parquet_fixtures.ts).
const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'vectors');
const f = (name: string) => join(dir, name);
const expected = JSON.parse(readFileSync(f('expected.json'), 'utf8')) as { values: number[][]; labels: number[] };

function expectContents(ds: HostDataset, labelled = true): void {
  expect(ds.sampleShape).to.deep.equal([4]);
  expect(ds.size).to.equal(6);
  // float32 values, read back bit for bit
  expect(Array.from(ds.data as Float32Array)).to.deep.equal(expected.values.flat());
  if (labelled) expect(Array.from(ds.labels!)).to.deep.equal(expected.labels);
  else expect(ds.labels).to.equal(undefined);
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected an error matching ${pattern}`).to.be.instanceOf(DataError);
  expect((err as Error).message).to.match(pattern);
}

describe('vectors from .npy, CSV/TSV and Parquet files', () => {
  before(() => selectBackend('cpu'));

  describe('.npy', () => {
    it('reads float32 and float64 files, labels from a second .npy of int64 or uint8', async () => {
      expectContents(await readVectors(f('v32.npy'), { labels: f('labels.npy') }));
      expectContents(await readVectors(f('v64.npy'), { labels: f('labels-u8.npy') }));
      expectContents(await readVectors(f('v32.npy')), false);
    });
    it('batches the values unchanged, leaking no tensor', async () => {
      const ds = await readVectors(f('v32.npy'));
      const n = tf.memory().numTensors;
      const x = ds.batch(Int32Array.of(5, 0));
      expect(Array.from(x.dataSync())).to.deep.equal([...Float32Array.from(expected.values[5]), ...Float32Array.from(expected.values[0])]);
      x.dispose();
      expect(tf.memory().numTensors).to.equal(n);
    });
    it('refuses malformed files, naming the file and the fault', async () => {
      await rejects(readVectors(f('truncated.npy')), /truncated.npy' is truncated: .*shape \(6, 4\).*row 5 is the first incomplete one/);
      await rejects(readVectors(f('fortran.npy')), /fortran.npy': Fortran-order/);
      await rejects(readVectors(f('ints.npy')), /ints.npy': dtype '<i4' is not a vector dtype/);
      await rejects(readVectors(f('big-endian.npy')), /big-endian.npy': dtype '>f4'.*big-endian/);
      await rejects(readVectors(f('vector-1d.npy')), /vector-1d.npy': expected a 2-D array \(N, dim\), found shape \(6\)/);
      await rejects(readVectors(f('nan.npy')), /nan.npy': .*NaN at row 3, column 2 is not finite/);
      await rejects(
        readVectors(f('v32.npy'), { labels: f('labels-frac.npy') }),
        /labels-frac.npy', row 1, column 'label': label 1.5 is not a non-negative integer/,
      );
      await rejects(readVectors(f('table.csv'), { labels: f('labels.npy') }), /table.csv': option 'labels' does not apply to csv files/);
      await rejects(readVectors(f('expected.json').replace('expected', 'nothing').replace('.json', '.npy')), /cannot read '.*nothing.npy'/);
    });
  });

  describe('CSV and TSV', () => {
    it('reads a header, a label column by name, and tab-separated files', async () => {
      expectContents(await readVectors(f('table.csv'), { labelColumn: 'label' }));
      expectContents(await readVectors(f('table.tsv'), { labelColumn: 'label' }));
    });
    it("reads files without a header (label by index) and skips pandas' unnamed index column", async () => {
      expectContents(await readVectors(f('no-header.csv'), { labelColumn: 4 }));
      expectContents(await readVectors(f('no-header.csv'), { header: false, labelColumn: '4' }));
      await rejects(readVectors(f('no-header.csv'), { labelColumn: 'label' }), /label column 'label' is a name, but the file has no header line/);
      expectContents(await readVectors(f('pandas-index.csv'), { labelColumn: 'label', ignoreColumns: [''] }));
    });
    it('refuses ragged rows, NaN, text labels and unknown columns, naming line and column', async () => {
      await rejects(readVectors(f('ragged.csv'), { labelColumn: 'label' }), /ragged.csv', line 6: 3 fields where the header has 5/);
      await rejects(readVectors(f('nan.csv'), { labelColumn: 'label' }), /nan.csv', line 6, column 'x1': value "" is not a finite number/);
      await rejects(
        readVectors(f('label-text.csv'), { labelColumn: 'label' }),
        /label-text.csv', line 4, column 'label': label "cat" is not a non-negative integer/,
      );
      await rejects(readVectors(f('table.csv'), { labelColumn: 'class' }), /label column 'class' is not in the header \('x0', 'x1', 'x2', 'x3', 'label'\)/);
      // Without naming the label column it is one more value column: the file's 5 numbers per row.
      expect((await readVectors(f('table.csv'))).sampleShape).to.deep.equal([5]);
    });
  });

  describe('Parquet', () => {
    it('reads a list<float> column (found by itself) with an int32 label, and numeric columns with an int64 label', async () => {
      expectContents(await readVectors(f('list.parquet'), { labelColumn: 'label' }));
      expectContents(await readVectors(f('list.parquet'), { column: 'embedding', labelColumn: 'label' }));
      expectContents(await readVectors(f('list.parquet'), { labelColumn: 'label', ignoreColumns: ['id'] }));
      expectContents(await readVectors(f('columns.parquet'), { labelColumn: 'label' }));
    });
    it('refuses ragged lists, fractional labels and unknown columns, naming row and column', async () => {
      await rejects(readVectors(f('ragged.parquet'), { column: 'embedding' }), /ragged.parquet', row 4, column 'embedding': 3 values, expected 4/);
      await rejects(
        readVectors(f('label-frac.parquet'), { column: 'embedding', labelColumn: 'label' }),
        /label-frac.parquet', row 3, column 'label': label 1.5 is not a non-negative integer/,
      );
      await rejects(
        readVectors(f('list.parquet'), { column: 'vec' }),
        /vector column 'vec' is not a column; it has 'id' \(BYTE_ARRAY\), 'embedding' \(a list of FLOAT\), 'label' \(INT32\)/,
      );
      await rejects(readVectors(f('list.parquet'), { column: 'id' }), /vector column 'id' is BYTE_ARRAY, not a list of numbers/);
      await rejects(readVectors(f('list.parquet'), { column: 'embedding', labelColumn: 'id' }), /label column 'id' is BYTE_ARRAY, not an integer column/);
    });
  });
});
