/**
 * The kernel paths every numerical test runs on: the TypeScript reference, plus whatever faster path
 * `loadKernels` can load on this machine (the WebAssembly kernels, through Node's kernel host as the
 * engine process loads them), so each path gets the same parity and gradient checks.
 */
import { nodeKernelHost } from '../../engine/host.ts';
import { loadKernels } from '../../engine/kernels/index.ts';
import { referenceKernels } from '../../engine/kernels/reference.ts';
import type { Kernels } from '../../engine/kernels/types.ts';

export async function kernelPathsUnderTest(): Promise<Kernels[]> {
  const list: Kernels[] = [referenceKernels];
  const best = await loadKernels(undefined, 1, nodeKernelHost);
  if (best.path !== referenceKernels.path) list.push(best);
  return list;
}
