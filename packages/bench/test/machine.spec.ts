import { expect } from 'chai';
import native from '@clusterflow/native';
import { machineInfo } from '../src/run/machine.js';

// What results.json records about the machine: the OpenBLAS core the wasm
// backend's products run on, and why that one, and oneDNN's sgemm where that
// takes the products instead, beside the CPU.
describe('machineInfo', () => {
  it("records the native BLAS's core and why, or why there is none", async () => {
    const m = await machineInfo();
    if (native.available) {
      const products = native.getGemmDnnl!() ? `; products: ${native.products}` : '';
      expect(m.blas).to.equal(native.openblas!.summary + products);
      expect(m.blas).to.match(
        /^OpenBLAS [0-9.]+, core \w+ \((set by OPENBLAS_CORETYPE|OpenBLAS's own choice|chosen: .+)\)(; products: oneDNN .+ sgemm \(.+\))?$/,
      );
    } else {
      expect(m.blas).to.equal(`none: ${native.reason}`);
    }
    expect(m.cpu).to.be.a('string').and.not.equal('');
  });
});
