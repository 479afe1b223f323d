import { DataError } from './errors.js';
import { HostDataset } from './host-dataset.js';

export interface IdxArray {
  /** Dimensions from the header, e.g. [N, H, W]. */
  dims: number[];
  data: Uint8Array;
}

// The idx type byte; only unsigned bytes are used for images and labels.
const UINT8 = 0x08;

/**
 * Parses an idx file (the MNIST format): two zero bytes, a type byte, the number
 * of dimensions, one big-endian uint32 per dimension, then the data. Sizes come
 * from the header, never assumed; any disagreement with the file length is an error.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new DataError(`'${file}' is not an idx file: only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`'${file}' is not an idx file: magic bytes ${magic}, expected 00 00 08 <ndim>`);
  }
  if (bytes[2] !== UINT8) {
    throw new DataError(`'${file}': idx element type 0x${bytes[2].toString(16)} is not supported (only 0x08, uint8)`);
  }
  const ndim = bytes[3];
  const headerSize = 4 + 4 * ndim;
  if (ndim < 1 || bytes.length < headerSize) {
    throw new DataError(`'${file}': idx header of ${ndim} dimensions needs ${headerSize} bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = headerSize + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new DataError(
      `'${file}' is ${bytes.length < expected ? 'truncated' : 'too long'}: header [${dims}] needs ` + `${expected} bytes, found ${bytes.length}`,
    );
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** An idx file's bytes (gunzipped) and the name its errors give: a path or an address. */
export interface IdxSource {
  bytes: Uint8Array;
  name: string;
}

/** A dataset of [H, W, C] uint8 samples from idx images (and idx1 labels), wherever their bytes came from. */
export function datasetFromIdx(images: IdxSource, labelSource?: IdxSource, id = 'idx'): HostDataset {
  const img = parseIdx(images.bytes, images.name);
  if (img.dims.length !== 3 && img.dims.length !== 4) {
    throw new DataError(`'${images.name}': images need 3 or 4 idx dimensions ([N,H,W] or [N,H,W,C]), found [${img.dims}]`);
  }
  const [n, h, w, c = 1] = img.dims;
  let labels: Int32Array | undefined;
  if (labelSource) {
    const lab = parseIdx(labelSource.bytes, labelSource.name);
    if (lab.dims.length !== 1) {
      throw new DataError(`'${labelSource.name}': labels need 1 idx dimension, found [${lab.dims}]`);
    }
    if (lab.dims[0] !== n) {
      throw new DataError(`'${labelSource.name}' has ${lab.dims[0]} labels but '${images.name}' has ${n} images`);
    }
    labels = Int32Array.from(lab.data);
  }
  return new HostDataset({
    id,
    data: img.data,
    sampleShape: [h, w, c],
    labels,
    description: `${id}: ${n} images ${h}x${w}x${c} from ${images.name}` + (labelSource ? ` with labels from ${labelSource.name}` : ''),
  });
}
