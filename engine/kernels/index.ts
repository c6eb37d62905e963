/**
 * Choosing the kernels a model runs on. `loadKernels` prefers the fastest path that loads and falls
 * back to the TypeScript reference; `kernelsFor` demands one path exactly (a resumed run keeps the
 * path its checkpoint was trained with). Async because WebAssembly kernels compile and instantiate.
 *
 * The WebAssembly kernels (engine/kernels/wasm) are created once per (path, threads) and shared: models
 * on the same kernels share one WebAssembly memory and one set of worker threads.
 */
import { referenceKernels } from './reference.ts';
import type { KernelPath, Kernels } from './types.ts';
import { createWasmKernels } from './wasm/index.ts';

export { referenceKernels };
export type { KernelPath, Kernels };

/** Fastest first: the order `loadKernels` tries when no path is preferred. */
export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-relaxed-simd', 'wasm-simd', 'typescript'];

/** One path's kernels, or null when this machine or build cannot run them. */
async function tryLoad(path: KernelPath, threads: number): Promise<Kernels | null> {
  switch (path) {
    case 'typescript':
      return referenceKernels;
    case 'wasm-simd':
    case 'wasm-relaxed-simd': {
      const key = `${path}:${threads}`;
      let pending = wasmCache.get(key);
      if (!pending) {
        pending = createWasmKernels({ threads, relaxed: path === 'wasm-relaxed-simd' }).catch(() => null);
        wasmCache.set(key, pending);
      }
      return pending;
    }
  }
}

const wasmCache = new Map<string, Promise<Kernels | null>>();

/** The preferred path when it loads, else the fastest one that does (the reference always loads). */
export async function loadKernels(preferred?: KernelPath, threads = 1): Promise<Kernels> {
  const order = preferred ? [preferred, ...KERNEL_PATHS.filter((p) => p !== preferred)] : KERNEL_PATHS;
  for (const path of order) {
    const kernels = await tryLoad(path, threads);
    if (kernels) return kernels;
  }
  return referenceKernels;
}

/** Exactly this path; throws a readable error when it cannot load here. */
export async function kernelsFor(path: KernelPath, threads = 1): Promise<Kernels> {
  if (!KERNEL_PATHS.includes(path)) throw new Error(`Unknown kernel path "${String(path)}" (known: ${KERNEL_PATHS.join(', ')}).`);
  const kernels = await tryLoad(path, threads);
  if (!kernels) throw new Error(`The "${path}" kernels are not available on this machine or in this build.`);
  return kernels;
}
