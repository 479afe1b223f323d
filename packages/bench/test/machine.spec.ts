import { expect } from 'chai';
import native from '@clusterflow/native';
import { machineInfo } from '../src/run/machine.js';

// What results.json records about the machine: the OpenBLAS core the wasm
// backend's products run on, and why that one, oneDNN's sgemm where that
// takes the products instead, and the convolutions' library, beside the CPU.
describe('machineInfo', () => {
  it("records the native BLAS's core and why, or why there is none", async () => {
    const m = await machineInfo();
    if (native.available) {
      const products = native.getGemmDnnl!() ? `; products: ${native.products}` : '';
      const convolutions = native.convolutions ? `; convolutions: ${native.convolutions}` : '';
      expect(m.blas).to.equal(native.openblas!.summary + products + convolutions);
      expect(m.blas).to.match(
        /^OpenBLAS [0-9.]+, core \w+ \((set by OPENBLAS_CORETYPE|OpenBLAS's own choice|chosen: .+)\)(; products: oneDNN .+ sgemm \(.+\))?(; convolutions: oneDNN .+ for .+)?$/,
      );
    } else {
      expect(m.blas).to.equal(`none: ${native.reason}`);
    }
    expect(m.cpu).to.be.a('string').and.not.equal('');
  });
});
