import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * The system's Chromium (Debian's `chromium` package, which .ci/run installs):
 * $CHROMIUM when set, else the first of the usual names on the PATH. playwright-core
 * drives it and downloads no browser of its own.
 */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Flags for a headless Chromium that talks to nothing but the test's own server. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Gives pages WebGPU: through SwiftShader, the software Vulkan driver Debian's
 * chromium ships with its own Vulkan loader, where there is no GPU (--disable-gpu
 * does not take it away). Pages need a secure context: https, localhost or 127.0.0.1.
 */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

/** A headless Chromium with a fresh profile (removed on close); `args` adds flags (WEBGPU_FLAGS). */
export async function launchChromium(executablePath: string, args: readonly string[] = []): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'cf-chromium-'));
  // A persistent context is how playwright takes a user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [...FLAGS, ...args],
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
