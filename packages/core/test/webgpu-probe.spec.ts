import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findVulkanLoader, reasonFromDawnLog, VULKAN_LOADER, withRuntimeDir } from '../src/backend/webgpu-probe.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** What Dawn 0.6.2 (the `webgpu` package) wrote to stderr on the machines this was written on. */
const DAWN = {
  noLoader:
    "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n" +
    '    at operator() (.../dawn/src/dawn/native/vulkan/BackendVk.cpp:368)\n',
  noDriver:
    'Warning: vkCreateInstance: Found no drivers!\nWarning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n' +
    '    at CheckVkSuccessImpl (.../dawn/src/dawn/native/vulkan/VulkanError.cpp:106)\n',
  noDevice:
    'Error: Loader Message: setup_loader_term_phys_devs:  Failed to detect any valid GPUs in the current config\n' +
    'Warning: vkEnumeratePhysicalDevices\n    at GatherPhysicalDevices (.../dawn/native/vulkan/VulkanInfo.cpp:147)\n',
  lavapipe:
    'error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n' +
    'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n - While initializing adapter (backend=BackendType::Vulkan)\n' +
    '    at InitializeImpl (.../dawn/native/vulkan/PhysicalDeviceVk.cpp:257)\n',
};

describe('webgpu probe: Dawn stays quiet, its complaints become the reason', () => {
  describe('findVulkanLoader', () => {
    const only =
      (...paths: string[]) =>
      (p: string) =>
        paths.includes(p);
    const none = { ldLibraryPath: '', ldconfig: '', defaultDirs: [] as string[], arch: 'x64' };

    it('finds nothing where nothing is', () => {
      expect(findVulkanLoader({ ...none, exists: () => false })).to.equal(undefined);
    });

    it('looks in LD_LIBRARY_PATH, the linker cache (this ABI only) and the default folders', () => {
      expect(findVulkanLoader({ ...none, ldLibraryPath: '/a::/b', exists: only(`/b/${VULKAN_LOADER}`) })).to.equal(`/b/${VULKAN_LOADER}`);
      const cache = [
        "1234 libs found in cache `/etc/ld.so.cache'",
        `\t${VULKAN_LOADER} (libc6) => /usr/lib/i386-linux-gnu/${VULKAN_LOADER}`,
        `\t${VULKAN_LOADER} (libc6,x86-64) => /lib/x86_64-linux-gnu/${VULKAN_LOADER}`,
        '\tlibvulkan.so (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so',
      ].join('\n');
      const all = () => true;
      expect(findVulkanLoader({ ...none, ldconfig: cache, exists: all })).to.equal(`/lib/x86_64-linux-gnu/${VULKAN_LOADER}`);
      // Only a 32-bit loader: a 64-bit Node cannot load it.
      expect(findVulkanLoader({ ...none, ldconfig: cache.split('\n').slice(0, 2).join('\n'), exists: all })).to.equal(undefined);
      // A stale cache entry whose file is gone does not count.
      expect(findVulkanLoader({ ...none, ldconfig: cache, exists: () => false })).to.equal(undefined);
      expect(findVulkanLoader({ ...none, defaultDirs: ['/usr/lib64'], exists: only(`/usr/lib64/${VULKAN_LOADER}`) })).to.equal(`/usr/lib64/${VULKAN_LOADER}`);
    });

    it('agrees with the file system on this machine', () => {
      const found = findVulkanLoader();
      if (found) expect(existsSync(found)).to.equal(true);
    });
  });

  it("turns Dawn's stderr into a one-line reason", () => {
    expect(reasonFromDawnLog(DAWN.noLoader)).to.equal('no Vulkan loader (libvulkan.so.1)');
    expect(reasonFromDawnLog(DAWN.noDriver)).to.equal('no Vulkan driver (ICD) installed');
    expect(reasonFromDawnLog(DAWN.noDevice)).to.equal('no device for the installed Vulkan drivers');
    expect(reasonFromDawnLog(DAWN.lavapipe)).to.equal('no WebGPU adapter found (Vulkan shaderUniform*ArrayDynamicIndexing required)');
    expect(reasonFromDawnLog('')).to.equal('no WebGPU adapter found');
  });

  it('gives Dawn a private XDG_RUNTIME_DIR while it starts, and puts the old value back', async () => {
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      delete process.env.XDG_RUNTIME_DIR;
      let inside: string | undefined;
      await withRuntimeDir(async () => {
        inside = process.env.XDG_RUNTIME_DIR;
      });
      expect(process.env.XDG_RUNTIME_DIR).to.equal(undefined);
      if (process.platform === 'linux') {
        expect(inside && isAbsolute(inside)).to.equal(true);
        expect(existsSync(inside!)).to.equal(false); // removed afterwards
      }
      await withRuntimeDir(async () => {
        if (process.platform === 'linux') expect(statSync(process.env.XDG_RUNTIME_DIR!).mode & 0o777).to.equal(0o700);
      });
      process.env.XDG_RUNTIME_DIR = '/run/user/12345';
      await withRuntimeDir(async () => {
        expect(process.env.XDG_RUNTIME_DIR).to.equal('/run/user/12345');
      });
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });

  describe('selectBackend in a fresh process writes nothing to stderr', function () {
    this.timeout(120_000);

    interface ChildResult {
      selection?: { name: string; tried: { name: string; reason: string }[]; note?: string };
      error?: string;
    }

    /** Runs selectBackend(choice) in a child process (the source, through tsx), without XDG_RUNTIME_DIR; its result and its stderr. */
    function selectInChild(choice: string, env: Record<string, string> = {}): Promise<{ result: ChildResult; stderr: string }> {
      const code = `
        import { selectBackend } from '@clusterflow/core';
        let out;
        try { const s = await selectBackend(${JSON.stringify(choice)}); out = { selection: { name: s.name, tried: s.tried, note: s.note } }; }
        catch (e) { out = { error: String(e?.message ?? e) }; }
        process.stdout.write('RESULT ' + JSON.stringify(out) + '\\n', () => process.exit(0));
      `;
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
      delete childEnv.XDG_RUNTIME_DIR;
      return new Promise((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', '--input-type=module', '-e', code], {
          cwd: repoRoot,
          env: childEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', fail);
        child.on('close', (status) => {
          const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
          if (!line) fail(new Error(`child exited with ${status} and no result\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          else done({ result: JSON.parse(line.slice('RESULT '.length)) as ChildResult, stderr });
        });
      });
    }

    const webgpuReason = (r: ChildResult) => r.selection?.tried.find((t) => t.name === 'webgpu')?.reason;

    it('auto: the webgpu attempt says why it was passed over, and Dawn prints nothing', async () => {
      const { result, stderr } = await selectInChild('auto');
      expect(stderr, 'stderr of the child').to.equal('');
      expect(result.error).to.equal(undefined);
      if (result.selection!.name === 'webgpu') return; // a real GPU
      const reason = webgpuReason(result);
      expect(reason).to.be.a('string').and.not.empty;
      if (process.platform === 'linux' && !findVulkanLoader()) expect(reason).to.equal('no Vulkan loader (libvulkan.so.1)');
    });

    it('no Vulkan driver: the reason says so, and Dawn prints nothing', async function () {
      if (process.platform !== 'linux' || !findVulkanLoader()) this.skip();
      const { result, stderr } = await selectInChild('auto', {
        VK_ICD_FILENAMES: join(repoRoot, 'no-such-icd.json'),
        VK_DRIVER_FILES: join(repoRoot, 'no-such-icd.json'),
      });
      expect(stderr, 'stderr of the child').to.equal('');
      expect(webgpuReason(result)).to.equal('no Vulkan driver (ICD) installed');
    });

    it('webgpu by name where the loader is missing is an error naming it', async function () {
      if (process.platform !== 'linux' || findVulkanLoader()) this.skip();
      const { result, stderr } = await selectInChild('webgpu');
      expect(stderr, 'stderr of the child').to.equal('');
      expect(result.error).to.contain('webgpu: no Vulkan loader (libvulkan.so.1)');
    });

    // SwiftShader through Debian's chromium package: a software adapter behind a real Vulkan loader,
    // where Mesa's device-select layer (mesa-vulkan-drivers) would complain about XDG_RUNTIME_DIR.
    const swiftshader = process.env.CLUSTERFLOW_TEST_VK_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

    it('a software adapter: taken by name without a word on stderr, passed over by auto', async function () {
      if (process.platform !== 'linux' || !findVulkanLoader() || !existsSync(swiftshader)) this.skip();
      const env = { VK_ICD_FILENAMES: swiftshader, VK_DRIVER_FILES: swiftshader };
      const named = await selectInChild('webgpu', env);
      expect(named.stderr, 'stderr of the child').to.equal('');
      expect(named.result.selection?.name, named.result.error).to.equal('webgpu');
      expect(named.result.selection?.note).to.match(/^software adapter .*swiftshader/);
      const auto = await selectInChild('auto', env);
      expect(auto.stderr, 'stderr of the child').to.equal('');
      expect(webgpuReason(auto.result)).to.match(/^only a software adapter \(.*swiftshader\)/);
    });
  });
});
