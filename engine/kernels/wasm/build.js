// Builds the WebAssembly kernels from assembly/index.ts with the AssemblyScript compiler in
// node_modules: build/kernels-simd.wasm (f32x4 SIMD) and build/kernels-relaxed.wasm (relaxed SIMD:
// fused multiply-add). Both import one shared memory (env.memory) so worker threads can share it.
// The .wasm files are committed, so tests run after `npm ci` without building. Usage: npm run build:wasm
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'build');
mkdirSync(outDir, { recursive: true });

/** Must match INITIAL_PAGES and MAXIMUM_PAGES in module.ts: the imported memory's declared limits (64 KiB pages). */
export const INITIAL_PAGES = 16;
export const MAXIMUM_PAGES = 32768; // 2 GiB, reserved up front so growth never moves the memory

const common = [
  join(here, 'assembly', 'index.ts'),
  '-O3', '--noAssert', '--runtime', 'stub', '--converge',
  '--importMemory', '--sharedMemory', '--initialMemory', String(INITIAL_PAGES), '--maximumMemory', String(MAXIMUM_PAGES),
  '--enable', 'threads',
];

const builds = [
  { file: 'kernels-simd.wasm', features: ['--enable', 'simd'] },
  { file: 'kernels-relaxed.wasm', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
];

for (const b of builds) {
  const out = join(outDir, b.file);
  const { error, stderr } = await asc.main([...common, ...b.features, '--outFile', out]);
  if (error) {
    console.error(stderr.toString());
    console.error(`Building ${b.file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`built ${out}`);
}
