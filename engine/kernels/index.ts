/**
 * Choosing the kernels a model runs on. `loadKernels` prefers the fastest path that loads and falls
 * back to the TypeScript reference; `kernelsFor` demands one path exactly (a resumed run keeps the
 * path its checkpoint was trained with). Async because WebAssembly kernels compile and instantiate.
 *
 * The WebAssembly kernels (engine/kernels/wasm) need a `WasmKernelHost` to read their files and start
 * threads (Node's: `nodeKernelHost` in engine/host.ts); without one only the TypeScript path loads.
 * They are created once per (host, path, threads) and shared: models on the same kernels share one
 * WebAssembly memory and one set of worker threads.
 */
import { referenceKernels } from './reference.ts';
import type { KernelPath, Kernels } from './types.ts';
import { createWasmKernels, type WasmKernelHost } from './wasm/index.ts';

export { referenceKernels };
export type { KernelPath, Kernels, WasmKernelHost };

/** Fastest first: the order `loadKernels` tries when no path is preferred. */
export const KERNEL_PATHS: readonly KernelPath[] = ['wasm-relaxed-simd', 'wasm-simd', 'typescript'];

/** One path's kernels, or null when this machine, build or host cannot run them. */
async function tryLoad(path: KernelPath, threads: number, host: WasmKernelHost | undefined): Promise<Kernels | null> {
  switch (path) {
    case 'typescript':
      return referenceKernels;
    case 'wasm-simd':
    case 'wasm-relaxed-simd': {
      if (!host) return null;
      let cache = wasmCache.get(host);
      if (!cache) wasmCache.set(host, (cache = new Map()));
      const key = `${path}:${threads}`;
      let pending = cache.get(key);
      if (!pending) {
        pending = createWasmKernels({ ...host, threads, relaxed: path === 'wasm-relaxed-simd' }).catch(() => null);
        cache.set(key, pending);
      }
      return pending;
    }
  }
}

const wasmCache = new WeakMap<WasmKernelHost, Map<string, Promise<Kernels | null>>>();

/**
 * The preferred path when it loads, else the fastest one that does (the reference always loads).
 * `host` lets the WebAssembly paths load (`nodeKernelHost` from engine/host.ts in Node).
 */
export async function loadKernels(preferred?: KernelPath, threads = 1, host?: WasmKernelHost): Promise<Kernels> {
  const order = preferred ? [preferred, ...KERNEL_PATHS.filter((p) => p !== preferred)] : KERNEL_PATHS;
  for (const path of order) {
    const kernels = await tryLoad(path, threads, host);
    if (kernels) return kernels;
  }
  return referenceKernels;
}

/** Exactly this path; throws a readable error when it cannot load here. */
export async function kernelsFor(path: KernelPath, threads = 1, host?: WasmKernelHost): Promise<Kernels> {
  if (!KERNEL_PATHS.includes(path)) throw new Error(`Unknown kernel path "${String(path)}" (known: ${KERNEL_PATHS.join(', ')}).`);
  if (path !== 'typescript' && !host) {
    throw new Error(`The "${path}" kernels need a kernel host to load their WebAssembly (in Node, pass nodeKernelHost from engine/host.ts).`);
  }
  const kernels = await tryLoad(path, threads, host);
  if (!kernels) throw new Error(`The "${path}" kernels are not available on this machine or in this build.`);
  return kernels;
}
