import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The data package's test fixtures (as a run's baseDir, or to name its files). */
export const DATA_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'data', 'test', 'fixtures');

/** 64 real Fashion-MNIST images with their labels (the data package's test fixture), as a run config's `data`. */
export const FMNIST64 = {
  id: 'idx',
  options: { images: join(DATA_FIXTURES, 'fmnist64-images-idx3-ubyte.gz'), labels: join(DATA_FIXTURES, 'fmnist64-labels-idx1-ubyte.gz') },
} as const;
