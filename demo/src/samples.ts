import type { RgbaImage } from '@clusterflow/report';

/** Puts a sample grid (the live view's samples.png, as pixels) on a canvas. */
export function drawGrid(canvas: HTMLCanvasElement, grid: RgbaImage): void {
  canvas.width = grid.width;
  canvas.height = grid.height;
  canvas.getContext('2d')!.putImageData(new ImageData(Uint8ClampedArray.from(grid.rgba), grid.width, grid.height), 0, 0);
}
