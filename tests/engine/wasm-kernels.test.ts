// The WebAssembly kernels against the plain TypeScript references (llm.c-style: every fast kernel is
// checked against the CPU code of the same function with |a - b| <= atol + rtol·|ref|), and the
// thread-count bit-identity the engine promises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceKernels } from '../../engine/kernels/reference.ts';
import { fusedReference } from '../../engine/kernels/fused.ts';
import { stepLoops } from '../../engine/kernels/steps.ts';
import { nodeKernelHost } from '../../engine/host.ts';
import { createWasmKernels, relaxedSimdSupported, wasmFileUrl, type WasmKernelOptions, type WasmKernels } from '../../engine/kernels/wasm/index.ts';
import { Rng } from '../../engine/core/rng.ts';
import { OP, runSlice, sliceRunner, type SliceRunner } from '../../engine/kernels/wasm/ops.ts';
import { WASM_FILES, type AssemblyExports } from '../../engine/kernels/wasm/module.ts';

const rng = new Rng(1234);

function fill(a: Float32Array, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = (rng.uniform() * 2 - 1) * scale;
  return a;
}

/** A random array of `n` values inside the kernels' memory (or a plain one when `k` is null). */
function randomIn(k: WasmKernels | null, n: number, scale = 1): Float32Array {
  return fill(k ? k.alloc(n) : new Float32Array(n), scale);
}

function copyIn(k: WasmKernels | null, src: Float32Array): Float32Array {
  const a = k ? k.alloc(src.length) : new Float32Array(src.length);
  a.set(src);
  return a;
}

function expectClose(got: Float32Array, want: Float32Array, atol: number, rtol: number, what: string): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(excess <= worst)) {
      worst = excess;
      at = i;
    }
    if (Number.isNaN(got[i]) !== Number.isNaN(want[i])) {
      at = i;
      worst = Infinity;
    }
  }
  if (at >= 0) expect.fail(`${what}: element ${at} is ${got[at]}, reference ${want[at]} (beyond tolerance by ${worst})`);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

// M, N, K: odd sizes, 1×1, multiples and non-multiples of the 4×8 / 2×4 tiles
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [2, 4, 4], [3, 5, 7], [4, 8, 16], [5, 9, 13], [7, 33, 17],
  [13, 17, 9], [16, 24, 32], [33, 70, 19], [92, 256, 64], [6, 40, 257],
];

describe.each(['wasm-simd', 'wasm-relaxed-simd'])('%s kernels', (name) => {
  let k: WasmKernels | null = null;
  let skip = false;

  beforeAll(async () => {
    const relaxed = name === 'wasm-relaxed-simd';
    if (relaxed && !relaxedSimdSupported(nodeKernelHost.enableRelaxedSimd)) {
      skip = true;
      return;
    }
    k = await createWasmKernels({ threads: 1, relaxed, ...nodeKernelHost });
  });
  afterAll(() => k?.dispose());

  it('reports its path', () => {
    if (skip) return;
    expect(k!.path).toBe(name);
  });

  it('alloc hands out zero-filled views that stay valid as the memory grows', () => {
    if (skip) return;
    const a = k!.alloc(10);
    a.fill(3);
    const big = k!.alloc(3 * 2 ** 20); // 12 MiB: forces growth past the initial pages
    expect(big.every((v) => v === 0)).toBe(true);
    expect(a[9]).toBe(3);
    a[0] = 5;
    expect(a[0]).toBe(5);
  });

  for (const [M, N, K] of SHAPES) {
    for (const accumulate of [false, true]) {
      it(`matmulABt ${M}×${N}×${K} accumulate=${accumulate}, with and without bias, offsets`, () => {
        if (skip) return;
        for (const withBias of [false, true]) {
          const off = 3;
          const a = randomIn(k, M * K + off);
          const w = randomIn(k, N * K + 2 * off);
          const bias = withBias ? randomIn(k, N + off) : null;
          const out = randomIn(k, M * N + off);
          const want = Float32Array.from(out);
          referenceKernels.matmulABt(want, off, a, off, w, 2 * off, bias, off, M, N, K, accumulate);
          k!.matmulABt(out, off, a, off, w, 2 * off, bias, off, M, N, K, accumulate);
          expectClose(out, want, 1e-5 * Math.sqrt(K) + 1e-6, 1e-5, `matmulABt ${M}×${N}×${K}`);
        }
      });

      it(`matmulAB ${M}×${N}×${K} accumulate=${accumulate}, offsets`, () => {
        if (skip) return;
        const off = 5;
        const a = randomIn(k, M * N + off);
        const w = randomIn(k, N * K + off);
        const out = randomIn(k, M * K + 2 * off);
        const want = Float32Array.from(out);
        referenceKernels.matmulAB(want, 2 * off, a, off, w, off, M, N, K, accumulate);
        k!.matmulAB(out, 2 * off, a, off, w, off, M, N, K, accumulate);
        expectClose(out, want, 1e-5 * Math.sqrt(N) + 1e-6, 1e-5, `matmulAB ${M}×${N}×${K}`);
      });

      it(`matmulAB ${M}×${N}×${K} sameW reuses w's panels only while they are w's (accumulate=${accumulate})`, () => {
        if (skip) return;
        const a = randomIn(k, M * N), a2 = randomIn(k, M * N), w = randomIn(k, N * K);
        const check = (aa: Float32Array, sameW: boolean, what: string) => {
          const out = randomIn(k, M * K);
          const want = Float32Array.from(out);
          referenceKernels.matmulAB(want, 0, aa, 0, w, 0, M, N, K, accumulate);
          k!.matmulAB(out, 0, aa, 0, w, 0, M, N, K, accumulate, sameW);
          expectClose(out, want, 1e-5 * Math.sqrt(N) + 1e-6, 1e-5, `matmulAB sameW ${what} ${M}×${N}×${K}`);
        };
        check(a, false, 'first');
        check(a2, true, 'second step');
        // another product packs its own panels in between: sameW must not pick those up
        const b = randomIn(k, 64 * Math.max(K, 8));
        k!.matmulAtB(k!.alloc(N * Math.max(K, 8)), 0, randomIn(k, 64 * N), 0, b, 0, 64, N, Math.max(K, 8), false);
        check(a, true, 'after matmulAtB');
      });

      it(`matmulAtB ${M}×${N}×${K} accumulate=${accumulate}, offsets`, () => {
        if (skip) return;
        const off = 1;
        const a = randomIn(k, M * N + off);
        const b = randomIn(k, M * K + 3 * off);
        const out = randomIn(k, N * K + off);
        const want = Float32Array.from(out);
        referenceKernels.matmulAtB(want, off, a, off, b, 3 * off, M, N, K, accumulate);
        k!.matmulAtB(out, off, a, off, b, 3 * off, M, N, K, accumulate);
        expectClose(out, want, 1e-5 * Math.sqrt(M) + 1e-6, 1e-5, `matmulAtB ${M}×${N}×${K}`);
      });
    }

    it(`sumRows ${M}×${N}`, () => {
      if (skip) return;
      const a = randomIn(k, M * N + 2);
      const out = randomIn(k, N + 1);
      const want = Float32Array.from(out);
      referenceKernels.sumRows(want, 1, a, 2, M, N);
      k!.sumRows(out, 1, a, 2, M, N);
      expectClose(out, want, 1e-5 * Math.sqrt(M) + 1e-6, 1e-5, `sumRows ${M}×${N}`);
    });
  }

  it('accepts arrays outside its memory (copied in and out)', () => {
    if (skip) return;
    const [M, N, K] = [9, 13, 11];
    const a = randomIn(null, M * K);
    const w = randomIn(null, N * K);
    const bias = randomIn(null, N);
    const out = randomIn(null, M * N);
    const want = Float32Array.from(out);
    referenceKernels.matmulABt(want, 0, a, 0, w, 0, bias, 0, M, N, K, true);
    k!.matmulABt(out, 0, a, 0, w, 0, bias, 0, M, N, K, true);
    expectClose(out, want, 1e-5, 1e-5, 'matmulABt on plain arrays');
    const out2 = randomIn(null, M * K);
    const want2 = Float32Array.from(out2);
    referenceKernels.matmulAB(want2, 0, out, 0, w, 0, M, N, K, false);
    k!.matmulAB(out2, 0, out, 0, w, 0, M, N, K, false);
    expectClose(out2, want2, 1e-4, 1e-5, 'matmulAB on plain arrays');
  });

  for (const C of [1, 5, 8, 256]) {
    it(`gatherRows / scatterAddRows, ${C} columns, repeated ids, offsets: exactly the reference`, () => {
      if (skip) return;
      const V = 7, N = 40;
      const ids = Int32Array.from({ length: N + 1 }, (_, n) => (n === 0 ? 99 : rng.int(V))); // ids[0] is not read (offset 1)
      const table = randomIn(k, V * C + 3);
      const got = randomIn(k, N * C + 2);
      const want = Float32Array.from(got);
      referenceKernels.gatherRows(want, 2, table, 3, ids, 1, N, C);
      k!.gatherRows(got, 2, table, 3, ids, 1, N, C);
      expect(bitsEqual(got, want)).toBe(true);
      // the backward adds each row's values in order of n, as the reference does: the same bits
      const acc = randomIn(k, V * C + 1);
      const accWant = Float32Array.from(acc);
      referenceKernels.scatterAddRows(accWant, 1, got, 2, ids, 1, N, C);
      k!.scatterAddRows(acc, 1, got, 2, ids, 1, N, C);
      expect(bitsEqual(acc, accWant)).toBe(true);
    });
  }

  it('zero clears exactly its range', () => {
    if (skip) return;
    const a = randomIn(k, 40);
    const want = Float32Array.from(a);
    referenceKernels.zero(want, 3, 33);
    k!.zero(a, 3, 33);
    expect(bitsEqual(a, want)).toBe(true);
    expect(a[2]).not.toBe(0);
    expect(a[36]).not.toBe(0);
  });

  it('sumSquares sums in float64 like the reference (every tail length, offsets)', () => {
    if (skip) return;
    for (const n of [0, 1, 3, 4, 5, 27804]) {
      const a = randomIn(k, n + 3, 10);
      const want = referenceKernels.sumSquares(a, 3, n);
      const got = k!.sumSquares(a, 3, n);
      expect(Math.abs(got - want), `n=${n}`).toBeLessThanOrEqual(1e-12 * want);
      if (n > 0) expect(got).toBeGreaterThan(0);
    }
  });

  it('gatherRows and scatterAddRows refuse an id outside the table, touching nothing', () => {
    if (skip) return;
    const table = randomIn(k, 3 * 4);
    const out = randomIn(k, 2 * 4);
    const before = Float32Array.from(out);
    expect(() => k!.gatherRows(out, 0, table, 0, new Int32Array([1, 3]), 0, 2, 4)).toThrow(/Row id 3 at position 1 is outside the table \(rows 0 to 2\)/);
    expect(() => k!.scatterAddRows(table, 0, out, 0, new Int32Array([-1, 0]), 0, 2, 4)).toThrow(/Row id -1 at position 0/);
    expect(bitsEqual(out, before)).toBe(true);
  });

  // ---- fused operations, on a (B, T, ·) batch_first layout at step t (strided rows) and on odd H

  for (const H of [5, 8, 13]) {
    const B = 3, T = 4, t = 2;
    const stride = T * H;

    it(`lstmCellForward / lstmCellBackward, H=${H}`, () => {
      if (skip) return;
      const G = 4 * H;
      const make = (n: number, s = 1) => fill(new Float32Array(n), s);
      const src = {
        gates: make(B * T * G, 2), hh: make(B * G, 2), c: make(B * H), h: make(B * H),
        cells: make(B * T * H), out: make(B * T * H), hPrev: make(B * T * H),
      };
      const ours = Object.fromEntries(Object.entries(src).map(([n, v]) => [n, copyIn(k, v)])) as typeof src;
      const ref = Object.fromEntries(Object.entries(src).map(([n, v]) => [n, Float32Array.from(v)])) as typeof src;
      for (const [x, kk] of [[ours, k!], [ref, fusedReference]] as const) {
        kk.lstmCellForward(x.gates, t * G, T * G, x.hh, 0, x.c, 0, x.h, 0, x.cells, t * H, x.out, t * H, x.hPrev, t * H, stride, B, H);
      }
      for (const n of Object.keys(src) as (keyof typeof src)[]) expectClose(ours[n], ref[n], 2e-6, 2e-6, `lstm forward ${n}`);

      const bsrc = { dGates: make(B * T * G), dGatesStep: make(B * G), dh: make(B * H), dc: make(B * H), dout: make(B * T * H) };
      const bo = Object.fromEntries(Object.entries(bsrc).map(([n, v]) => [n, copyIn(k, v)])) as typeof bsrc;
      const br = Object.fromEntries(Object.entries(bsrc).map(([n, v]) => [n, Float32Array.from(v)])) as typeof bsrc;
      for (const withPrev of [true, false]) {
        k!.lstmCellBackward(bo.dGates, t * G, T * G, bo.dGatesStep, 0, bo.dh, 0, bo.dc, 0, ours.gates, t * G,
          ours.cells, t * H, withPrev ? ours.cells : null, (t - 1) * H, bo.dout, t * H, stride, B, H);
        fusedReference.lstmCellBackward(br.dGates, t * G, T * G, br.dGatesStep, 0, br.dh, 0, br.dc, 0, ref.gates, t * G,
          ref.cells, t * H, withPrev ? ref.cells : null, (t - 1) * H, br.dout, t * H, stride, B, H);
        for (const n of Object.keys(bsrc) as (keyof typeof bsrc)[]) expectClose(bo[n], br[n], 1e-5, 1e-5, `lstm backward ${n}`);
      }
    });

    it(`gruCellForward / gruCellBackward, H=${H}`, () => {
      if (skip) return;
      const G = 3 * H;
      const make = (n: number, s = 1) => fill(new Float32Array(n), s);
      const src = { gates: make(B * T * G, 2), hh: make(B * G, 2), h: make(B * H), hn: make(B * T * H), out: make(B * T * H), hPrev: make(B * T * H) };
      const ours = Object.fromEntries(Object.entries(src).map(([n, v]) => [n, copyIn(k, v)])) as typeof src;
      const ref = Object.fromEntries(Object.entries(src).map(([n, v]) => [n, Float32Array.from(v)])) as typeof src;
      for (const [x, kk] of [[ours, k!], [ref, fusedReference]] as const) {
        kk.gruCellForward(x.gates, t * G, T * G, x.hh, 0, x.h, 0, x.hn, t * H, x.out, t * H, x.hPrev, t * H, stride, B, H);
      }
      for (const n of Object.keys(src) as (keyof typeof src)[]) expectClose(ours[n], ref[n], 2e-6, 2e-6, `gru forward ${n}`);

      const bsrc = { dI: make(B * T * G), dH: make(B * T * G), dStep: make(B * G), dh: make(B * H), dout: make(B * T * H) };
      const bo = Object.fromEntries(Object.entries(bsrc).map(([n, v]) => [n, copyIn(k, v)])) as typeof bsrc;
      const br = Object.fromEntries(Object.entries(bsrc).map(([n, v]) => [n, Float32Array.from(v)])) as typeof bsrc;
      for (const [x, y, kk] of [[bo, ours, k!], [br, ref, fusedReference]] as const) {
        kk.gruCellBackward(x.dI, t * G, x.dH, t * G, T * G, x.dStep, 0, x.dh, 0, y.gates, t * G, y.hn, t * H, y.hPrev, t * H, x.dout, t * H, stride, B, H);
      }
      for (const n of Object.keys(bsrc) as (keyof typeof bsrc)[]) expectClose(bo[n], br[n], 1e-5, 1e-5, `gru backward ${n}`);
    });

    it(`rnnCellForward / rnnCellBackward, H=${H}`, () => {
      if (skip) return;
      const make = (n: number, s = 1) => fill(new Float32Array(n), s);
      const src = { out: make(B * T * H, 2), hh: make(B * H, 2), h: make(B * H), hPrev: make(B * T * H) };
      const ours = Object.fromEntries(Object.entries(src).map(([n, v]) => [n, copyIn(k, v)])) as typeof src;
      const ref = Object.fromEntries(Object.entries(src).map(([n, v]) => [n, Float32Array.from(v)])) as typeof src;
      for (const [x, kk] of [[ours, k!], [ref, fusedReference]] as const) {
        kk.rnnCellForward(x.out, t * H, x.hh, 0, x.h, 0, x.hPrev, t * H, stride, B, H);
      }
      for (const n of Object.keys(src) as (keyof typeof src)[]) expectClose(ours[n], ref[n], 2e-6, 2e-6, `rnn forward ${n}`);
      const bsrc = { dPre: make(B * T * H), dStep: make(B * H), dh: make(B * H), dout: make(B * T * H) };
      const bo = Object.fromEntries(Object.entries(bsrc).map(([n, v]) => [n, copyIn(k, v)])) as typeof bsrc;
      const br = Object.fromEntries(Object.entries(bsrc).map(([n, v]) => [n, Float32Array.from(v)])) as typeof bsrc;
      for (const [x, y, kk] of [[bo, ours, k!], [br, ref, fusedReference]] as const) {
        kk.rnnCellBackward(x.dPre, t * H, x.dStep, 0, x.dh, 0, y.out, t * H, x.dout, t * H, stride, B, H);
      }
      for (const n of Object.keys(bsrc) as (keyof typeof bsrc)[]) expectClose(bo[n], br[n], 1e-5, 1e-5, `rnn backward ${n}`);
    });
  }

  for (const V of [1, 3, 7, 65]) {
    it(`crossEntropyForward / crossEntropyBackward, V=${V}`, () => {
      if (skip) return;
      const N = 11;
      const logits = fill(new Float32Array(N * V + 2), 5);
      const targets = new Int32Array(N + 1);
      for (let n = 0; n <= N; n++) targets[n] = rng.int(V);
      targets[1] = 0;
      const ours = { probs: k!.alloc(N * V + 2), dl: copyIn(k, fill(new Float32Array(N * V + 2))), logits: copyIn(k, logits) };
      const ref = { probs: new Float32Array(N * V + 2), dl: Float32Array.from(ours.dl), logits };
      const got = k!.crossEntropyForward(ours.probs, 2, ours.logits, 2, targets, 1, N, V);
      const want = fusedReference.crossEntropyForward(ref.probs, 2, ref.logits, 2, targets, 1, N, V);
      expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(want.loss));
      expect(got.correct).toBe(want.correct);
      expectClose(ours.probs, ref.probs, 1e-6, 1e-5, 'softmax');
      k!.crossEntropyBackward(ours.dl, 2, ours.probs, 2, targets, 1, N, V);
      fusedReference.crossEntropyBackward(ref.dl, 2, ref.probs, 2, targets, 1, N, V);
      expectClose(ours.dl, ref.dl, 1e-6, 1e-5, 'dlogits');
    });
  }

  it('crossEntropyForward rejects a target outside the vocabulary', () => {
    if (skip) return;
    const logits = k!.alloc(6);
    expect(() => k!.crossEntropyForward(k!.alloc(6), 0, logits, 0, new Int32Array([1, 3]), 0, 2, 3)).toThrow(/outside the vocabulary/);
  });

  for (const weightDecay of [0, 0.01]) {
    it(`adamStep matches torch.optim.Adam's formula over several steps (weight decay ${weightDecay})`, () => {
      if (skip) return;
      const n = 37, off = 2;
      const p0 = fill(new Float32Array(n + off));
      const ours = { p: copyIn(k, p0), g: k!.alloc(n + off), m: k!.alloc(n + off), v: k!.alloc(n + off) };
      const ref = { p: Float32Array.from(p0), g: new Float32Array(n + off), m: new Float32Array(n + off), v: new Float32Array(n + off) };
      for (let step = 1; step <= 5; step++) {
        fill(ref.g);
        ours.g.set(ref.g);
        k!.adamStep(ours.p, ours.g, ours.m, ours.v, off, n, 0.01, 0.9, 0.999, 1e-8, weightDecay, step);
        fusedReference.adamStep(ref.p, ref.g, ref.m, ref.v, off, n, 0.01, 0.9, 0.999, 1e-8, weightDecay, step);
      }
      expectClose(ours.p, ref.p, 1e-6, 1e-5, 'adam params');
      expectClose(ours.m, ref.m, 1e-6, 1e-5, 'adam exp_avg');
      expectClose(ours.v, ref.v, 1e-7, 1e-5, 'adam exp_avg_sq');
    });
  }
});

/** A threadable product (64×300×41) on `k` agrees with the reference. */
function expectRightProduct(k: WasmKernels, what: string): void {
  const [M, N, K] = [64, 300, 41];
  const a = randomIn(k, M * K), w = randomIn(k, N * K), out = k.alloc(M * N);
  const want = new Float32Array(M * N);
  referenceKernels.matmulABt(want, 0, a, 0, w, 0, null, 0, M, N, K, false);
  k.matmulABt(out, 0, a, 0, w, 0, null, 0, M, N, K, false);
  expectClose(out, want, 1e-4, 1e-5, what);
}

describe('threads', () => {
  // shapes above the threading threshold, split by rows and (small row counts) by columns
  const SHAPES_T: [number, number, number][] = [[64, 300, 41], [6, 1027, 70], [92, 256, 64], [37, 5, 3001], [3, 517, 333]];

  it('give bit-identical results for 1 and 2 threads, both SIMD variants', async () => {
    for (const relaxed of [false, true]) {
      if (relaxed && !relaxedSimdSupported(nodeKernelHost.enableRelaxedSimd)) continue;
      const one = await createWasmKernels({ threads: 1, relaxed, ...nodeKernelHost });
      const two = await createWasmKernels({ threads: 2, relaxed, ...nodeKernelHost });
      await two.ready; // both threads at work, not the calling thread alone while the worker starts
      try {
        expect(two.threads).toBe(2);
        for (const [M, N, K] of SHAPES_T) {
          const a = fill(new Float32Array(Math.max(M * K, M * N)));
          const w = fill(new Float32Array(Math.max(N * K, M * K)));
          const bias = fill(new Float32Array(N));
          const init = fill(new Float32Array(Math.max(M * N, M * K, N * K)));
          const results: Float32Array[][] = [];
          for (const kk of [one, two]) {
            const A = copyIn(kk, a), W = copyIn(kk, w), Bi = copyIn(kk, bias);
            const o1 = copyIn(kk, init), o2 = copyIn(kk, init), o3 = copyIn(kk, init);
            kk.matmulABt(o1, 0, A, 0, W, 0, Bi, 0, M, N, K, true);
            kk.matmulAB(o2, 0, A, 0, W, 0, M, N, K, true);
            kk.matmulAtB(o3, 0, A, 0, W, 0, M, N, K, true);
            results.push([o1, o2, o3]);
          }
          for (let i = 0; i < 3; i++) {
            expect(bitsEqual(results[0][i], results[1][i]), `${['ABt', 'AB', 'AtB'][i]} ${M}×${N}×${K} relaxed=${relaxed}`).toBe(true);
          }
          // and the threaded result is right, not only repeatable
          const want = Float32Array.from(init);
          referenceKernels.matmulABt(want, 0, a, 0, w, 0, bias, 0, M, N, K, true);
          expectClose(results[1][0], want, 1e-5 * Math.sqrt(K) + 1e-6, 1e-5, `threaded ABt ${M}×${N}×${K}`);
        }
        // column sums large enough to be split by columns (517: a tail of single columns)
        for (const [M, N] of [[600, 517], [300, 1024]]) {
          const a = fill(new Float32Array(M * N));
          const init = fill(new Float32Array(N));
          const [s1, s2] = [one, two].map((kk) => {
            const out = copyIn(kk, init);
            kk.sumRows(out, 0, copyIn(kk, a), 0, M, N);
            return out;
          });
          expect(bitsEqual(s1, s2), `sumRows ${M}×${N} relaxed=${relaxed}`).toBe(true);
          const want = Float32Array.from(init);
          referenceKernels.sumRows(want, 0, a, 0, M, N);
          expectClose(s2, want, 1e-4, 1e-5, `threaded sumRows ${M}×${N}`);
        }
      } finally {
        one.dispose();
        two.dispose();
      }
    }
  });

  it.each(['lstm', 'gru', 'rnn'] as const)('run a layer\'s steps per batch-row slice with the bits of the per-step loop (%s, 2 threads)', async (cell) => {
    const k = await createWasmKernels({ threads: 2, ...nodeKernelHost });
    await k.ready;
    try {
      const B = 37, T = 6, H = 40; // odd batch: uneven row slices; large enough to be threaded (every cell)
      const G = { lstm: 4, gru: 3, rnn: 1 }[cell] * H;
      const params = randomIn(k, G * H + G, 0.5);
      const loops = stepLoops(k);
      // forward: the same inputs through the one-call kernel and through the loop over per-step kernels
      const pre = fill(new Float32Array(B * T * G));
      const runs = [k, loops].map((kk) => {
        const b = { gates: copyIn(k, pre), cells: k.alloc(B * T * H), out: k.alloc(B * T * H), hPrev: k.alloc(B * T * H),
          hh: k.alloc(B * G), h: k.alloc(B * H), c: k.alloc(B * H) };
        if (cell === 'rnn') b.out.set(pre.subarray(0, B * T * H));
        if (cell === 'lstm') kk.lstmForwardSteps(b.gates, b.cells, b.out, b.hPrev, b.hh, b.h, b.c, params, 0, G * H, B, T, H);
        else if (cell === 'gru') kk.gruForwardSteps(b.gates, b.cells, b.out, b.hPrev, b.hh, b.h, params, 0, G * H, B, T, H);
        else kk.rnnForwardSteps(b.out, b.hPrev, b.hh, b.h, params, 0, G * H, B, T, H);
        return b;
      });
      for (const key of ['gates', 'cells', 'out', 'hPrev', 'h', 'c'] as const) {
        expect(bitsEqual(runs[0][key], runs[1][key]), `forward ${key}`).toBe(true);
      }
      // backward from the forward's activations
      const f = runs[0];
      const dout = fill(new Float32Array(B * T * H));
      const back = [k, loops].map((kk) => {
        const b = { dG: k.alloc(B * T * G), dG2: k.alloc(B * T * G), dStep: k.alloc(B * G), dh: k.alloc(B * H), dc: k.alloc(B * H) };
        const d = copyIn(k, dout);
        if (cell === 'lstm') kk.lstmBackwardSteps(b.dG, b.dStep, b.dh, b.dc, f.gates, f.cells, d, params, 0, B, T, H);
        else if (cell === 'gru') kk.gruBackwardSteps(b.dG, b.dG2, b.dStep, b.dh, f.gates, f.cells, f.hPrev, d, params, 0, B, T, H);
        else kk.rnnBackwardSteps(b.dG, b.dStep, b.dh, f.out, d, params, 0, B, T, H);
        return b;
      });
      for (const key of ['dG', 'dG2', 'dh', 'dc'] as const) {
        expect(bitsEqual(back[0][key], back[1][key]), `backward ${key}`).toBe(true);
      }
      expect(back[0].dG.some((v) => v !== 0)).toBe(true);
    } finally {
      k.dispose();
    }
  });

  it('take jobs before the workers have started (the calling thread alone), with the same bits as after', async () => {
    const k = await createWasmKernels({ threads: 2, relaxed: false, ...nodeKernelHost });
    try {
      const [M, N, K] = [92, 256, 64];
      const a = randomIn(k, M * K), w = randomIn(k, N * K);
      const early = k.alloc(M * N);
      k.matmulABt(early, 0, a, 0, w, 0, null, 0, M, N, K, false); // dispatched at once, the worker still starting
      await k.ready;
      expect(k.threads).toBe(2);
      const late = k.alloc(M * N);
      k.matmulABt(late, 0, a, 0, w, 0, null, 0, M, N, K, false);
      expect(bitsEqual(early, late)).toBe(true);
    } finally {
      k.dispose();
    }
  });

  it('leave out a worker that cannot start, and keep computing without it', async () => {
    const refusing = { ...nodeKernelHost, startThread: () => { throw new Error('no threads here'); } };
    const k = await createWasmKernels({ threads: 3, relaxed: false, ...refusing });
    await k.ready;
    expect(k.threads).toBe(1);
    expectRightProduct(k, 'without workers');
  });

  it('keep working on one thread after dispose', async () => {
    const k = await createWasmKernels({ threads: 2, ...nodeKernelHost });
    k.dispose();
    expect(k.threads).toBe(1);
    expectRightProduct(k, 'after dispose');
  });

  it('load from injected bytes (the renderer fetches them by URL)', async () => {
    const { readFile } = await import('node:fs/promises');
    const files: string[] = [];
    const k = await createWasmKernels({
      relaxed: false,
      loadBytes: async (file) => {
        files.push(file);
        return new Uint8Array(await readFile(new URL(`../../engine/kernels/wasm/build/${file}`, import.meta.url)));
      },
    });
    expect(files).toEqual(['kernels-simd.wasm']);
    expect(k.path).toBe('wasm-simd');
    k.dispose();
  });

  it('run on one thread, bit-identical to the threaded kernels, when the host cannot start threads (a page)', async () => {
    const { loadBytes } = nodeKernelHost;
    const alone = await createWasmKernels({ threads: 2, relaxed: false, loadBytes });
    const threaded = await createWasmKernels({ threads: 2, relaxed: false, ...nodeKernelHost });
    await threaded.ready;
    try {
      expect(alone.threads).toBe(1);
      expect(threaded.threads).toBe(2);
      const [M, N, K] = [64, 300, 41];
      const a = fill(new Float32Array(M * K)), w = fill(new Float32Array(N * K));
      const [o1, o2] = [alone, threaded].map((kk) => {
        const out = kk.alloc(M * N);
        kk.matmulABt(out, 0, copyIn(kk, a), 0, copyIn(kk, w), 0, null, 0, M, N, K, false);
        return out;
      });
      expect(bitsEqual(o1, o2)).toBe(true);
    } finally {
      alone.dispose();
      threaded.dispose();
    }
  });

  it('say which option is missing when nothing can read the .wasm files', async () => {
    // as a JavaScript caller (or an old one) would: the types already demand loadBytes
    await expect(createWasmKernels({ threads: 1 } as unknown as WasmKernelOptions)).rejects.toThrow(/needs options\.loadBytes/);
    await expect(createWasmKernels(undefined as unknown as WasmKernelOptions)).rejects.toThrow(/needs options\.loadBytes/);
    expect(wasmFileUrl('kernels-simd.wasm').href).toMatch(/engine\/kernels\/wasm\/build\/kernels-simd\.wasm$/);
  });
});

describe('the op table (engine/kernels/wasm/ops.ts)', () => {
  it('names only functions that both builds export, each with a code of its own', async () => {
    const codes = Object.values(OP);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [variant, file] of Object.entries(WASM_FILES)) {
      if (variant === 'relaxed' && !relaxedSimdSupported(nodeKernelHost.enableRelaxedSimd)) continue;
      const module = await WebAssembly.compile(await nodeKernelHost.loadBytes(file) as Uint8Array<ArrayBuffer>);
      const functions = new Set(WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name));
      for (const name of Object.keys(OP)) expect(functions.has(name), `${file} exports ${name}`).toBe(true);
    }
  });

  it('runs each op through the export it is named after, here and from the text the worker threads evaluate', () => {
    // the worker's runSlice is built from sliceRunner's text in a scope of its own, as pool.ts's worker source does
    const workerRunSlice = new Function(`return (${sliceRunner.toString()})(${JSON.stringify(OP)});`)() as SliceRunner;
    for (const run of [runSlice, workerRunSlice]) {
      for (const [name, code] of Object.entries(OP)) {
        const called: string[] = [];
        const ex = new Proxy({}, { get: (_, key) => () => called.push(String(key)) }) as unknown as AssemblyExports;
        run(ex, code, new Array<number>(16).fill(0), 0, 0, 1, 0, 8);
        expect(called, `op ${code}`).toEqual([name]);
      }
    }
  });
});

describe('a model on the WebAssembly kernels', () => {
  // B·H and B·T·G are above the thresholds where the cell steps and the bias sums are split too (H = 130: a lane tail)
  it.each(['lstm', 'gru', 'rnn'] as const)('computes bit-identical losses and gradients on 1 and 2 threads (%s)', async (cell) => {
    const { Model } = await import('../../engine/model.ts');
    const grads: Float32Array[] = [];
    const losses: number[] = [];
    for (const threads of [1, 2]) {
      const k = await createWasmKernels({ threads, ...nodeKernelHost });
      await k.ready;
      try {
        const B = 36, T = 16, V = 23;
        const model = new Model({ cell, layers: 2, vocabSize: V, embed: 16, hidden: 130, window: T, objective: 'every', dropout: 0 }, k);
        model.initParams(new Rng(9));
        const r = new Rng(10);
        const inputs = Int32Array.from({ length: B * T }, () => r.int(V));
        const targets = Int32Array.from({ length: B * T }, () => r.int(V));
        model.zeroGrads();
        losses.push(model.forwardBackward(inputs, targets, B, T, null).loss);
        grads.push(Float32Array.from(model.grads));
      } finally {
        k.dispose();
      }
    }
    expect(losses[1]).toBe(losses[0]);
    expect(bitsEqual(grads[0], grads[1])).toBe(true);
  });
});
