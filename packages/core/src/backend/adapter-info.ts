/** What a WebGPU adapter says about itself (GPUAdapterInfo's fields, flattened). */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
