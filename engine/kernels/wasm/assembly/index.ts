// The WebAssembly kernels (AssemblyScript, f32x4 SIMD). Built twice by ../build.js: plain SIMD, and
// relaxed SIMD where `madd` becomes a fused multiply-add. Every pointer is a byte address into the
// imported shared memory; the JavaScript side owns allocation (../arena.ts) and threading (../pool.ts).
// Nothing here allocates, so several instances (one per worker thread) can share one memory. The
// threads call exports by the names in ../ops.ts's op table (tests/engine/wasm-kernels.test.ts checks
// both builds have them), and ../module.ts declares every export's signature for JavaScript.
//
// Matrix kernels take an output range (rows/columns of the OUTPUT) so threads split work over output
// elements only. Every output element is computed by the same sequence of operations whichever tile
// variant reaches it, so results do not depend on how the range is split (the scalar column tails
// are the one exception, and the JavaScript side only splits columns at multiples of 8).
//
//   matmulABt: out(M,N) (=|+=) a(M,K)·w(N,K)ᵀ (+ bias)  dot-product tiles of 2 rows × 4 columns
//   matmulAB:  out(M,K) (=|+=) a(M,N)·w(N,K)            broadcast tiles of 4 rows × 8 columns
//   matmulAtB: out(N,K) (=|+=) a(M,N)ᵀ·b(M,K)           broadcast tiles of 4 rows × 8 columns, aᵀ and b packed
//   sumRows:   out(N) += Σ_m a(m,:)
//   gatherRows: out(N,C) = table[ids[n],:]   scatterAddRows: out[ids[n],:] += a(n,:)   (one thread)

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(c, f32x4.mul(a, b));
  }
}

// Horizontal sums in one fixed order, (l0 + l2) + (l1 + l3), shared by the 4-wide reduction below
// and the single-element path so every output element is summed the same way.
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 2)) + (f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 3));
}

/** [hsum(c0), hsum(c1), hsum(c2), hsum(c3)] with the same order of additions as hsum. */
@inline function hsum4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  // s01 = [c0_0+c0_2, c1_0+c1_2, c0_1+c0_3, c1_1+c1_3]
  const s01 = f32x4.add(v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7));
  // [(c0_0+c0_2)+(c0_1+c0_3), (c1_0+c1_2)+(c1_1+c1_3), ...]
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

@inline function splatAt(p: usize): v128 {
  return v128.load32_splat(p);
}

/** dot tail over k in [k4, K) in scalar f32, added to s */
@inline function dotTail(s: f32, a: usize, w: usize, k4: i32, K: i32): f32 {
  for (let k = k4; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(w + (<usize>k << 2));
  return s;
}

@inline function finishABt(o: usize, dot: f32, bias: usize, n: i32, accumulate: i32): void {
  let v = dot;
  if (bias != 0) v += load<f32>(bias + (<usize>n << 2));
  if (accumulate) v += load<f32>(o);
  store<f32>(o, v);
}

/** Four adjacent outputs o[0..4) of one row from their 4-lane accumulators: the same arithmetic as finishABt(dotTail(hsum(·))). */
@inline function finishABt4(
  o: usize, c0: v128, c1: v128, c2: v128, c3: v128,
  a: usize, w0: usize, rowK: usize, k4: i32, K: i32, bias: usize, n: i32, accumulate: i32,
): void {
  let v = hsum4(c0, c1, c2, c3);
  if (k4 < K) {
    v = f32x4.replace_lane(v, 0, dotTail(f32x4.extract_lane(v, 0), a, w0, k4, K));
    v = f32x4.replace_lane(v, 1, dotTail(f32x4.extract_lane(v, 1), a, w0 + rowK, k4, K));
    v = f32x4.replace_lane(v, 2, dotTail(f32x4.extract_lane(v, 2), a, w0 + 2 * rowK, k4, K));
    v = f32x4.replace_lane(v, 3, dotTail(f32x4.extract_lane(v, 3), a, w0 + 3 * rowK, k4, K));
  }
  if (bias != 0) v = f32x4.add(v, v128.load(bias + (<usize>n << 2)));
  if (accumulate) v = f32x4.add(v, v128.load(o));
  v128.store(o, v);
}

// one output element: the same arithmetic as one lane-set of the tiles below
@inline function dot1(a: usize, w: usize, K: i32): f32 {
  const k4 = K & ~3;
  let c = f32x4.splat(0);
  for (let k = 0; k < k4; k += 4) {
    const off = <usize>k << 2;
    c = madd(v128.load(a + off), v128.load(w + off), c);
  }
  return dotTail(hsum(c), a, w, k4, K);
}

/** Bytes of w's rows one column block keeps in L1, and of a's rows one row block keeps in L2. */
const ABT_W_BLOCK: i32 = 16384;
const ABT_A_BLOCK: i32 = 131072;

/**
 * out(M,N) (=|+=) a(M,K)·w(N,K)ᵀ (+ bias), output rows [m0,m1) × columns [n0,n1). Blocked so a block
 * of w's rows is reused from L1 by every row pair of a block of a's rows (unblocked, every row pair
 * streamed all of w: 1 MiB per pair for H = 256). Blocking only reorders tiles; each output element
 * is computed exactly as before.
 */
export function matmulABt(
  out: usize, a: usize, w: usize, bias: usize,
  M: i32, N: i32, K: i32, accumulate: i32,
  m0: i32, m1: i32, n0: i32, n1: i32,
): void {
  const rowBytes = max(K, 1) << 2;
  const nb = max(4, (ABT_W_BLOCK / rowBytes) & ~3);
  const mb = max(2, (ABT_A_BLOCK / rowBytes) & ~1);
  for (let mc = m0; mc < m1; mc += mb) {
    const me = min(m1, mc + mb);
    for (let nc = n0; nc < n1; nc += nb) {
      abtBlock(out, a, w, bias, N, K, accumulate, mc, me, nc, min(n1, nc + nb));
    }
  }
}

function abtBlock(
  out: usize, a: usize, w: usize, bias: usize,
  N: i32, K: i32, accumulate: i32,
  m0: i32, m1: i32, n0: i32, n1: i32,
): void {
  const k4 = K & ~3;
  const rowK = <usize>K << 2;
  const rowN = <usize>N << 2;
  let m = m0;
  for (; m + 2 <= m1; m += 2) {
    const a0 = a + <usize>m * rowK;
    const a1 = a0 + rowK;
    const o0 = out + <usize>m * rowN;
    const o1 = o0 + rowN;
    let n = n0;
    for (; n + 4 <= n1; n += 4) {
      const w0 = w + <usize>n * rowK;
      const w1 = w0 + rowK;
      const w2 = w1 + rowK;
      const w3 = w2 + rowK;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
      for (let k = 0; k < k4; k += 4) {
        const off = <usize>k << 2;
        const x0 = v128.load(a0 + off);
        const x1 = v128.load(a1 + off);
        let y = v128.load(w0 + off);
        c00 = madd(x0, y, c00); c10 = madd(x1, y, c10);
        y = v128.load(w1 + off);
        c01 = madd(x0, y, c01); c11 = madd(x1, y, c11);
        y = v128.load(w2 + off);
        c02 = madd(x0, y, c02); c12 = madd(x1, y, c12);
        y = v128.load(w3 + off);
        c03 = madd(x0, y, c03); c13 = madd(x1, y, c13);
      }
      const nb = <usize>n << 2;
      finishABt4(o0 + nb, c00, c01, c02, c03, a0, w0, rowK, k4, K, bias, n, accumulate);
      finishABt4(o1 + nb, c10, c11, c12, c13, a1, w0, rowK, k4, K, bias, n, accumulate);
    }
    for (; n < n1; n++) {
      const wn = w + <usize>n * rowK;
      finishABt(o0 + (<usize>n << 2), dot1(a0, wn, K), bias, n, accumulate);
      finishABt(o1 + (<usize>n << 2), dot1(a1, wn, K), bias, n, accumulate);
    }
  }
  if (m < m1) {
    const a0 = a + <usize>m * rowK;
    const o0 = out + <usize>m * rowN;
    let n = n0;
    // 8 columns: eight independent FMA chains instead of four (one row is latency-bound, e.g. generation's B = 1)
    for (; n + 8 <= n1; n += 8) {
      const w0 = w + <usize>n * rowK;
      const w1 = w0 + rowK, w2 = w1 + rowK, w3 = w2 + rowK;
      const w4 = w3 + rowK, w5 = w4 + rowK, w6 = w5 + rowK, w7 = w6 + rowK;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      let c04 = f32x4.splat(0), c05 = f32x4.splat(0), c06 = f32x4.splat(0), c07 = f32x4.splat(0);
      for (let k = 0; k < k4; k += 4) {
        const off = <usize>k << 2;
        const x0 = v128.load(a0 + off);
        c00 = madd(x0, v128.load(w0 + off), c00);
        c01 = madd(x0, v128.load(w1 + off), c01);
        c02 = madd(x0, v128.load(w2 + off), c02);
        c03 = madd(x0, v128.load(w3 + off), c03);
        c04 = madd(x0, v128.load(w4 + off), c04);
        c05 = madd(x0, v128.load(w5 + off), c05);
        c06 = madd(x0, v128.load(w6 + off), c06);
        c07 = madd(x0, v128.load(w7 + off), c07);
      }
      finishABt4(o0 + (<usize>n << 2), c00, c01, c02, c03, a0, w0, rowK, k4, K, bias, n, accumulate);
      finishABt4(o0 + (<usize>(n + 4) << 2), c04, c05, c06, c07, a0, w4, rowK, k4, K, bias, n + 4, accumulate);
    }
    for (; n + 4 <= n1; n += 4) {
      const w0 = w + <usize>n * rowK;
      const w1 = w0 + rowK;
      const w2 = w1 + rowK;
      const w3 = w2 + rowK;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      for (let k = 0; k < k4; k += 4) {
        const off = <usize>k << 2;
        const x0 = v128.load(a0 + off);
        c00 = madd(x0, v128.load(w0 + off), c00);
        c01 = madd(x0, v128.load(w1 + off), c01);
        c02 = madd(x0, v128.load(w2 + off), c02);
        c03 = madd(x0, v128.load(w3 + off), c03);
      }
      finishABt4(o0 + (<usize>n << 2), c00, c01, c02, c03, a0, w0, rowK, k4, K, bias, n, accumulate);
    }
    for (; n < n1; n++) {
      finishABt(o0 + (<usize>n << 2), dot1(a0, w + <usize>n * rowK, K), bias, n, accumulate);
    }
  }
}

// ---------------------------------------------------------------- broadcast tiles (AB and AtB)
// Both products are "out row += scalar · row": out(R,C) += Σ_s x(r,s) · y(s,:), with x addressed by
// (r, s) strides and y rows contiguous. AB: x = a (row stride N, step 1), y = w. AtB: x = aᵀ
// (r = n: step 4 bytes, s = m: stride N), y = b.

// columns [c0, c1) of output rows [r0, r1) in tiles of 4 rows × 8 columns; s runs over [s0, s1)
@inline function broadcastTiles(
  out: usize, rowO: usize,
  x: usize, xr: usize, xs: usize, // x(r, s) at x + r*xr + s*xs
  y: usize, rowY: usize,
  r0: i32, r1: i32, c0: i32, c1: i32, s0: i32, s1: i32,
): void {
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const o0 = out + <usize>r * rowO;
    const o1 = o0 + rowO;
    const o2 = o1 + rowO;
    const o3 = o2 + rowO;
    const x0 = x + <usize>r * xr;
    let c = c0;
    for (; c + 8 <= c1; c += 8) {
      const cb = <usize>c << 2;
      let c00 = v128.load(o0 + cb), c01 = v128.load(o0 + cb + 16);
      let c10 = v128.load(o1 + cb), c11 = v128.load(o1 + cb + 16);
      let c20 = v128.load(o2 + cb), c21 = v128.load(o2 + cb + 16);
      let c30 = v128.load(o3 + cb), c31 = v128.load(o3 + cb + 16);
      let xp = x0 + <usize>s0 * xs;
      let yp = y + <usize>s0 * rowY + cb;
      for (let s = s0; s < s1; s++) {
        const y0 = v128.load(yp);
        const y1 = v128.load(yp + 16);
        let b = splatAt(xp);
        c00 = madd(b, y0, c00); c01 = madd(b, y1, c01);
        b = splatAt(xp + xr);
        c10 = madd(b, y0, c10); c11 = madd(b, y1, c11);
        b = splatAt(xp + 2 * xr);
        c20 = madd(b, y0, c20); c21 = madd(b, y1, c21);
        b = splatAt(xp + 3 * xr);
        c30 = madd(b, y0, c30); c31 = madd(b, y1, c31);
        xp += xs;
        yp += rowY;
      }
      v128.store(o0 + cb, c00); v128.store(o0 + cb + 16, c01);
      v128.store(o1 + cb, c10); v128.store(o1 + cb + 16, c11);
      v128.store(o2 + cb, c20); v128.store(o2 + cb + 16, c21);
      v128.store(o3 + cb, c30); v128.store(o3 + cb + 16, c31);
    }
    for (; c + 4 <= c1; c += 4) {
      const cb = <usize>c << 2;
      let c00 = v128.load(o0 + cb), c10 = v128.load(o1 + cb), c20 = v128.load(o2 + cb), c30 = v128.load(o3 + cb);
      let xp = x0 + <usize>s0 * xs;
      let yp = y + <usize>s0 * rowY + cb;
      for (let s = s0; s < s1; s++) {
        const y0 = v128.load(yp);
        c00 = madd(splatAt(xp), y0, c00);
        c10 = madd(splatAt(xp + xr), y0, c10);
        c20 = madd(splatAt(xp + 2 * xr), y0, c20);
        c30 = madd(splatAt(xp + 3 * xr), y0, c30);
        xp += xs;
        yp += rowY;
      }
      v128.store(o0 + cb, c00); v128.store(o1 + cb, c10); v128.store(o2 + cb, c20); v128.store(o3 + cb, c30);
    }
    for (let q = 0; q < 4; q++) scalarColumns(out + <usize>(r + q) * rowO, x0 + <usize>q * xr, xs, y, rowY, c, c1, s0, s1);
  }
  for (; r < r1; r++) {
    const o0 = out + <usize>r * rowO;
    const x0 = x + <usize>r * xr;
    let c = c0;
    for (; c + 8 <= c1; c += 8) {
      const cb = <usize>c << 2;
      let c00 = v128.load(o0 + cb), c01 = v128.load(o0 + cb + 16);
      let xp = x0 + <usize>s0 * xs;
      let yp = y + <usize>s0 * rowY + cb;
      for (let s = s0; s < s1; s++) {
        const b = splatAt(xp);
        c00 = madd(b, v128.load(yp), c00);
        c01 = madd(b, v128.load(yp + 16), c01);
        xp += xs;
        yp += rowY;
      }
      v128.store(o0 + cb, c00); v128.store(o0 + cb + 16, c01);
    }
    for (; c + 4 <= c1; c += 4) {
      const cb = <usize>c << 2;
      let c00 = v128.load(o0 + cb);
      let xp = x0 + <usize>s0 * xs;
      let yp = y + <usize>s0 * rowY + cb;
      for (let s = s0; s < s1; s++) {
        c00 = madd(splatAt(xp), v128.load(yp), c00);
        xp += xs;
        yp += rowY;
      }
      v128.store(o0 + cb, c00);
    }
    scalarColumns(o0, x0, xs, y, rowY, c, c1, s0, s1);
  }
}

@inline function scalarColumns(o: usize, x: usize, xs: usize, y: usize, rowY: usize, c0: i32, c1: i32, s0: i32, s1: i32): void {
  for (let c = c0; c < c1; c++) {
    const cb = <usize>c << 2;
    let v = load<f32>(o + cb);
    for (let s = s0; s < s1; s++) v += load<f32>(x + <usize>s * xs) * load<f32>(y + <usize>s * rowY + cb);
    store<f32>(o + cb, v);
  }
}

function zeroBlock(out: usize, rowO: usize, r0: i32, r1: i32, c0: i32, c1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = out + <usize>r * rowO;
    memory.fill(o + (<usize>c0 << 2), 0, <usize>(c1 - c0) << 2);
  }
}

/** Copies columns [c0, c1) of w(N,K), in blocks of 8, into panels of N×8 contiguous floats (panel p at dst + p·N·32 bytes). */
export function packPanels(dst: usize, w: usize, N: i32, K: i32, c0: i32, c1: i32): void {
  const rowW = <usize>K << 2;
  for (let c = c0; c + 8 <= c1; c += 8) {
    let d = dst + <usize>(c >> 3) * (<usize>N << 5);
    let src = w + (<usize>c << 2);
    for (let s = 0; s < N; s++) {
      v128.store(d, v128.load(src));
      v128.store(d + 16, v128.load(src + 16));
      d += 32;
      src += rowW;
    }
  }
}

// rows [r0, r1) × the 8 columns at cb (bytes) of out += a(r, :)·panel, panel rows of 32 bytes
@inline function panelTiles(out: usize, rowO: usize, a: usize, rowA: usize, panel: usize, cb: usize, r0: i32, r1: i32, N: i32): void {
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const o0 = out + <usize>r * rowO + cb;
    const o1 = o0 + rowO;
    const o2 = o1 + rowO;
    const o3 = o2 + rowO;
    let c00 = v128.load(o0), c01 = v128.load(o0 + 16);
    let c10 = v128.load(o1), c11 = v128.load(o1 + 16);
    let c20 = v128.load(o2), c21 = v128.load(o2 + 16);
    let c30 = v128.load(o3), c31 = v128.load(o3 + 16);
    let xp = a + <usize>r * rowA;
    let yp = panel;
    for (let s = 0; s < N; s++) {
      const y0 = v128.load(yp);
      const y1 = v128.load(yp + 16);
      let b = splatAt(xp);
      c00 = madd(b, y0, c00); c01 = madd(b, y1, c01);
      b = splatAt(xp + rowA);
      c10 = madd(b, y0, c10); c11 = madd(b, y1, c11);
      b = splatAt(xp + 2 * rowA);
      c20 = madd(b, y0, c20); c21 = madd(b, y1, c21);
      b = splatAt(xp + 3 * rowA);
      c30 = madd(b, y0, c30); c31 = madd(b, y1, c31);
      xp += 4;
      yp += 32;
    }
    v128.store(o0, c00); v128.store(o0 + 16, c01);
    v128.store(o1, c10); v128.store(o1 + 16, c11);
    v128.store(o2, c20); v128.store(o2 + 16, c21);
    v128.store(o3, c30); v128.store(o3 + 16, c31);
  }
  for (; r < r1; r++) {
    const o0 = out + <usize>r * rowO + cb;
    let c00 = v128.load(o0), c01 = v128.load(o0 + 16);
    let xp = a + <usize>r * rowA;
    let yp = panel;
    for (let s = 0; s < N; s++) {
      const b = splatAt(xp);
      c00 = madd(b, v128.load(yp), c00);
      c01 = madd(b, v128.load(yp + 16), c01);
      xp += 4;
      yp += 32;
    }
    v128.store(o0, c00); v128.store(o0 + 16, c01);
  }
}

const ROW_CHUNK: i32 = 64;

/**
 * out(M,K) (=|+=) a(M,N)·w(N,K), output rows [m0,m1) × columns [k0,k1) (k0 a multiple of 8).
 * packed ≠ 0: w's 8-column blocks already copied there by packPanels (contiguous panels stream from
 * cache; w's rows are K apart). Chunks of rows keep a's rows in cache across the panels.
 */
export function matmulAB(
  out: usize, a: usize, w: usize, packed: usize,
  M: i32, N: i32, K: i32, accumulate: i32,
  m0: i32, m1: i32, k0: i32, k1: i32,
): void {
  const rowO = <usize>K << 2;
  const rowA = <usize>N << 2;
  if (!accumulate) zeroBlock(out, rowO, m0, m1, k0, k1);
  let k8 = k0;
  if (packed != 0) {
    k8 = k0 + ((k1 - k0) & ~7);
    for (let mc = m0; mc < m1; mc += ROW_CHUNK) {
      const me = min(m1, mc + ROW_CHUNK);
      for (let c = k0; c < k8; c += 8) {
        panelTiles(out, rowO, a, rowA, packed + <usize>(c >> 3) * (<usize>N << 5), <usize>c << 2, mc, me, N);
      }
    }
  }
  // a's 4 rows (4·N floats) stay in L1 while the tile walks the columns; w streams from L2
  if (k8 < k1) broadcastTiles(out, rowO, a, rowA, 4, w, rowO, m0, m1, k8, k1, 0, N);
}

/** matmulAtB's blocks: KC values of the reduction (m) × MC output rows; packed aᵀ of one block is MC·KC floats (64 KiB). */
const KC: i32 = 256;
const MC: i32 = 64;
/** Bytes of scratch one slice of matmulAtB needs (the JavaScript side reserves this much per chunk). */
export const ATB_SCRATCH_BYTES: i32 = MC * KC * 4;

/**
 * out(N,K) (=|+=) a(M,N)ᵀ·b(M,K), output rows [n0,n1) × columns [k0,k1); the sum over m runs in order.
 * Read in place, both operands defeat the cache: a tile walks a's and b's rows (N and K floats apart:
 * 4 KiB strides land in one L1 set, 1 KiB strides in four). So b's 8-column blocks come packed
 * (`packed` ≠ 0: packPanels(packed, b, M, K, ·), panel p at packed + p·M·32 bytes), and for each block
 * of KC values of m × MC output rows, aᵀ is packed into `scratch` as groups of 4 rows side by side;
 * then each column panel (in L1) serves every group of the block. Blocking and packing never change
 * results: each element still sums over m in order, with the same operations.
 */
export function matmulAtB(
  out: usize, a: usize, b: usize, scratch: usize, packed: usize,
  M: i32, N: i32, K: i32, accumulate: i32,
  n0: i32, n1: i32, k0: i32, k1: i32,
): void {
  const rowO = <usize>K << 2;
  const rowA = <usize>N << 2;
  const panelBytes = <usize>M << 5;
  const k8 = packed != 0 ? k0 + ((k1 - k0) & ~7) : k0;
  if (!accumulate) zeroBlock(out, rowO, n0, n1, k0, k1);
  for (let s0 = 0; s0 < M; s0 += KC) {
    const s1 = min(M, s0 + KC);
    const kc = s1 - s0;
    const bBlock = b + <usize>s0 * rowO;
    const groupBytes = <usize>kc << 4;
    for (let rb = n0; rb < n1; rb += MC) {
      const re = min(n1, rb + MC);
      const r4 = rb + ((re - rb) & ~3);
      // aᵀ of rows [rb, r4): group g holds x(q, s) at scratch + g·groupBytes + 4q + 16s
      for (let r = rb; r < r4; r += 4) {
        let src = a + <usize>s0 * rowA + (<usize>r << 2);
        let dst = scratch + <usize>((r - rb) >> 2) * groupBytes;
        for (let s = 0; s < kc; s++) {
          v128.store(dst, v128.load(src));
          dst += 16;
          src += rowA;
        }
      }
      for (let c = k0; c < k8; c += 8) {
        const panel = packed + <usize>(c >> 3) * panelBytes + (<usize>s0 << 5);
        const oc = out + (<usize>c << 2);
        for (let r = rb; r < r4; r += 4) {
          broadcastTiles(oc + <usize>r * rowO, rowO, scratch + <usize>((r - rb) >> 2) * groupBytes, 4, 16, panel, 32, 0, 4, 0, 8, 0, kc);
        }
      }
      for (let r = rb; r < r4; r += 4) {
        if (k8 < k1) broadcastTiles(out + <usize>r * rowO, rowO, scratch + <usize>((r - rb) >> 2) * groupBytes, 4, 16, bBlock, rowO, 0, 4, k8, k1, 0, kc);
      }
      if (r4 < re) broadcastTiles(out, rowO, a + <usize>s0 * rowA, 4, rowA, bBlock, rowO, r4, re, k0, k1, 0, kc);
    }
  }
}

/** out(N) += Σ_m a(m,:), columns [n0, n1). */
export function sumRows(out: usize, a: usize, M: i32, N: i32, n0: i32, n1: i32): void {
  const rowN = <usize>N << 2;
  let n = n0;
  // 16 columns at a time: four independent chains hide the add latency (each column still sums in m order)
  for (; n + 16 <= n1; n += 16) {
    const nb = <usize>n << 2;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = a + nb;
    for (let m = 0; m < M; m++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p + 16));
      s2 = f32x4.add(s2, v128.load(p + 32));
      s3 = f32x4.add(s3, v128.load(p + 48));
      p += rowN;
    }
    v128.store(out + nb, f32x4.add(v128.load(out + nb), s0));
    v128.store(out + nb + 16, f32x4.add(v128.load(out + nb + 16), s1));
    v128.store(out + nb + 32, f32x4.add(v128.load(out + nb + 32), s2));
    v128.store(out + nb + 48, f32x4.add(v128.load(out + nb + 48), s3));
  }
  for (; n + 4 <= n1; n += 4) {
    const nb = <usize>n << 2;
    let s = f32x4.splat(0);
    let p = a + nb;
    for (let m = 0; m < M; m++) {
      s = f32x4.add(s, v128.load(p));
      p += rowN;
    }
    v128.store(out + nb, f32x4.add(v128.load(out + nb), s));
  }
  for (; n < n1; n++) {
    const nb = <usize>n << 2;
    let s: f32 = 0;
    let p = a + nb;
    for (let m = 0; m < M; m++) {
      s += load<f32>(p);
      p += rowN;
    }
    store<f32>(out + nb, load<f32>(out + nb) + s);
  }
}

/** out(N,C) = table[ids[n], :]: whole rows of a lookup table (ids are checked by the caller). */
export function gatherRows(out: usize, table: usize, ids: usize, N: i32, C: i32): void {
  const rowC = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const src = table + <usize>load<i32>(ids + (<usize>n << 2)) * rowC;
    memory.copy(out + <usize>n * rowC, src, rowC);
  }
}

/** out[ids[n], :] += a(n, :), n in order (ids are checked by the caller). */
export function scatterAddRows(out: usize, a: usize, ids: usize, N: i32, C: i32): void {
  const rowC = <usize>C << 2;
  const C4 = <usize>(C & ~3) << 2;
  for (let n = 0; n < N; n++) {
    const dst = out + <usize>load<i32>(ids + (<usize>n << 2)) * rowC;
    const src = a + <usize>n * rowC;
    let c: usize = 0;
    for (; c < C4; c += 16) v128.store(dst + c, f32x4.add(v128.load(dst + c), v128.load(src + c)));
    for (; c < rowC; c += 4) store<f32>(dst + c, load<f32>(dst + c) + load<f32>(src + c));
  }
}

/** a[0, n) = 0. */
export function zero(a: usize, n: i32): void {
  memory.fill(a, 0, <usize>n << 2);
}

/** Σ a[i]² over n floats, in float64: four running sums of two lanes each, added at the end. */
export function sumSquares(a: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(a + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1) + f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
  for (; i < n; i++) {
    const x = <f64>load<f32>(a + (<usize>i << 2));
    sum += x * x;
  }
  return sum;
}

// ---------------------------------------------------------------- activations
// expf after Cephes: exp(x) = 2^n · p(r), r = x - n·ln2, |r| ≤ ln2/2, relative error ~2 ulp.

// Cheap forms with the same results: pmin/pmax are one instruction each (the clamp bounds are not
// NaN or ±0, and a NaN input still passes through), and n is a whole number of magnitude < 2^22, so
// adding 1.5·2^23 puts the integer n in the low mantissa bits (instead of trunc_sat, a long sequence).
@inline function vexp(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-87.3)), f32x4.splat(88.7));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const e = i32x4.shl(i32x4.sub(f32x4.add(n, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000 - 127)), 23);
  return f32x4.mul(p, e);
}

@inline function vsigmoid(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))));
}

// tanh(x) = sign(x)·(1 - e)/(1 + e), e = exp(-2|x|)
@inline function vtanh(x: v128): v128 {
  const one = f32x4.splat(1);
  const e = vexp(f32x4.mul(f32x4.abs(x), f32x4.splat(-2)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

@inline function ld(p: usize, j: i32): v128 {
  return v128.load(p + (<usize>j << 2));
}
@inline function st(p: usize, j: i32, v: v128): void {
  v128.store(p + (<usize>j << 2), v);
}
// scalar lanes for the H % 4 tail: the same functions on one lane
@inline function ld1(p: usize, j: i32): v128 {
  return f32x4.splat(load<f32>(p + (<usize>j << 2)));
}
@inline function st1(p: usize, j: i32, v: v128): void {
  store<f32>(p + (<usize>j << 2), f32x4.extract_lane(v, 0));
}

// ---------------------------------------------------------------- LSTM cell (one step, B rows)
// i,f,o = σ(pre), g = tanh(pre), pre = gates (input part) + hh (hidden part); c' = f⊙c + i⊙g; h' = o⊙tanh(c')

@inline function lstmForwardLanes(
  gr: usize, hhr: usize, cr: usize, hr: usize, cellr: usize, outr: usize, hpr: usize, j: i32, H: i32, wide: bool,
): void {
  const H1 = H, H2 = 2 * H, H3 = 3 * H;
  const i = vsigmoid(f32x4.add(wide ? ld(gr, j) : ld1(gr, j), wide ? ld(hhr, j) : ld1(hhr, j)));
  const f = vsigmoid(f32x4.add(wide ? ld(gr, j + H1) : ld1(gr, j + H1), wide ? ld(hhr, j + H1) : ld1(hhr, j + H1)));
  const g = vtanh(f32x4.add(wide ? ld(gr, j + H2) : ld1(gr, j + H2), wide ? ld(hhr, j + H2) : ld1(hhr, j + H2)));
  const o = vsigmoid(f32x4.add(wide ? ld(gr, j + H3) : ld1(gr, j + H3), wide ? ld(hhr, j + H3) : ld1(hhr, j + H3)));
  const cPrev = wide ? ld(cr, j) : ld1(cr, j);
  const c = f32x4.add(f32x4.mul(f, cPrev), f32x4.mul(i, g));
  const hOld = wide ? ld(hr, j) : ld1(hr, j);
  const h = f32x4.mul(o, vtanh(c));
  if (wide) {
    st(gr, j, i); st(gr, j + H1, f); st(gr, j + H2, g); st(gr, j + H3, o);
    st(cr, j, c); st(hr, j, h); st(cellr, j, c); st(outr, j, h);
    if (hpr != 0) st(hpr, j, hOld);
  } else {
    st1(gr, j, i); st1(gr, j + H1, f); st1(gr, j + H2, g); st1(gr, j + H3, o);
    st1(cr, j, c); st1(hr, j, h); st1(cellr, j, c); st1(outr, j, h);
    if (hpr != 0) st1(hpr, j, hOld);
  }
}

export function lstmCellForward(
  gates: usize, gStride: i32, hh: usize, c: usize, h: usize,
  cells: usize, out: usize, hPrev: usize, sStride: i32, H: i32, b0: i32, b1: i32,
): void {
  const H4 = H & ~3;
  for (let b = b0; b < b1; b++) {
    const gr = gates + <usize>b * (<usize>gStride << 2);
    const hhr = hh + <usize>b * (<usize>(4 * H) << 2);
    const cr = c + <usize>b * (<usize>H << 2);
    const hr = h + <usize>b * (<usize>H << 2);
    const sr = <usize>b * (<usize>sStride << 2);
    const hpr = hPrev == 0 ? <usize>0 : hPrev + sr;
    let j = 0;
    for (; j < H4; j += 4) lstmForwardLanes(gr, hhr, cr, hr, cells + sr, out + sr, hpr, j, H, true);
    for (; j < H; j++) lstmForwardLanes(gr, hhr, cr, hr, cells + sr, out + sr, hpr, j, H, false);
  }
}

@inline function lstmBackwardLanes(
  dgr: usize, dgsr: usize, dhr: usize, dcr: usize, gr: usize, cellr: usize, cpr: usize, doutr: usize, j: i32, H: i32, wide: bool,
): void {
  const H1 = H, H2 = 2 * H, H3 = 3 * H;
  const one = f32x4.splat(1);
  const i = wide ? ld(gr, j) : ld1(gr, j);
  const f = wide ? ld(gr, j + H1) : ld1(gr, j + H1);
  const g = wide ? ld(gr, j + H2) : ld1(gr, j + H2);
  const o = wide ? ld(gr, j + H3) : ld1(gr, j + H3);
  const tc = vtanh(wide ? ld(cellr, j) : ld1(cellr, j));
  const cPrev = cpr == 0 ? f32x4.splat(0) : (wide ? ld(cpr, j) : ld1(cpr, j));
  const dhT = f32x4.add(wide ? ld(doutr, j) : ld1(doutr, j), wide ? ld(dhr, j) : ld1(dhr, j));
  const dcT = f32x4.add(wide ? ld(dcr, j) : ld1(dcr, j), f32x4.mul(f32x4.mul(dhT, o), f32x4.sub(one, f32x4.mul(tc, tc))));
  const di = f32x4.mul(f32x4.mul(f32x4.mul(dcT, g), i), f32x4.sub(one, i));
  const df = f32x4.mul(f32x4.mul(f32x4.mul(dcT, cPrev), f), f32x4.sub(one, f));
  const dg = f32x4.mul(f32x4.mul(dcT, i), f32x4.sub(one, f32x4.mul(g, g)));
  const dO = f32x4.mul(f32x4.mul(f32x4.mul(dhT, tc), o), f32x4.sub(one, o));
  const dcNew = f32x4.mul(dcT, f);
  if (wide) {
    st(dgr, j, di); st(dgr, j + H1, df); st(dgr, j + H2, dg); st(dgr, j + H3, dO);
    if (dgsr != 0) { st(dgsr, j, di); st(dgsr, j + H1, df); st(dgsr, j + H2, dg); st(dgsr, j + H3, dO); }
    st(dcr, j, dcNew);
  } else {
    st1(dgr, j, di); st1(dgr, j + H1, df); st1(dgr, j + H2, dg); st1(dgr, j + H3, dO);
    if (dgsr != 0) { st1(dgsr, j, di); st1(dgsr, j + H1, df); st1(dgsr, j + H2, dg); st1(dgsr, j + H3, dO); }
    st1(dcr, j, dcNew);
  }
}

export function lstmCellBackward(
  dGates: usize, dGatesStep: usize, dh: usize, dc: usize,
  gates: usize, gStride: i32, cells: usize, cPrev: usize, dout: usize, sStride: i32, H: i32, b0: i32, b1: i32,
): void {
  const H4 = H & ~3;
  for (let b = b0; b < b1; b++) {
    const gOffB = <usize>b * (<usize>gStride << 2);
    const sr = <usize>b * (<usize>sStride << 2);
    const dgsr = dGatesStep == 0 ? <usize>0 : dGatesStep + <usize>b * (<usize>(4 * H) << 2);
    const dhr = dh + <usize>b * (<usize>H << 2);
    const dcr = dc + <usize>b * (<usize>H << 2);
    const cpr = cPrev == 0 ? <usize>0 : cPrev + sr;
    let j = 0;
    for (; j < H4; j += 4) lstmBackwardLanes(dGates + gOffB, dgsr, dhr, dcr, gates + gOffB, cells + sr, cpr, dout + sr, j, H, true);
    for (; j < H; j++) lstmBackwardLanes(dGates + gOffB, dgsr, dhr, dcr, gates + gOffB, cells + sr, cpr, dout + sr, j, H, false);
  }
}

// ---------------------------------------------------------------- GRU cell (PyTorch's: b_hn inside r⊙(·))
// r,z = σ(gx + gh), n = tanh(gx_n + r⊙gh_n), h' = (1-z)⊙n + z⊙h

@inline function gruForwardLanes(gr: usize, hhr: usize, hr: usize, hnr: usize, outr: usize, hpr: usize, j: i32, H: i32, wide: bool): void {
  const H1 = H, H2 = 2 * H;
  const one = f32x4.splat(1);
  const r = vsigmoid(f32x4.add(wide ? ld(gr, j) : ld1(gr, j), wide ? ld(hhr, j) : ld1(hhr, j)));
  const z = vsigmoid(f32x4.add(wide ? ld(gr, j + H1) : ld1(gr, j + H1), wide ? ld(hhr, j + H1) : ld1(hhr, j + H1)));
  const hn = wide ? ld(hhr, j + H2) : ld1(hhr, j + H2);
  const n = vtanh(f32x4.add(wide ? ld(gr, j + H2) : ld1(gr, j + H2), f32x4.mul(r, hn)));
  const hp = wide ? ld(hr, j) : ld1(hr, j);
  const h = f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, hp));
  if (wide) {
    st(gr, j, r); st(gr, j + H1, z); st(gr, j + H2, n); st(hnr, j, hn);
    if (hpr != 0) st(hpr, j, hp);
    st(hr, j, h); st(outr, j, h);
  } else {
    st1(gr, j, r); st1(gr, j + H1, z); st1(gr, j + H2, n); st1(hnr, j, hn);
    if (hpr != 0) st1(hpr, j, hp);
    st1(hr, j, h); st1(outr, j, h);
  }
}

export function gruCellForward(
  gates: usize, gStride: i32, hh: usize, h: usize,
  hn: usize, out: usize, hPrev: usize, sStride: i32, H: i32, b0: i32, b1: i32,
): void {
  const H4 = H & ~3;
  for (let b = b0; b < b1; b++) {
    const gr = gates + <usize>b * (<usize>gStride << 2);
    const hhr = hh + <usize>b * (<usize>(3 * H) << 2);
    const hr = h + <usize>b * (<usize>H << 2);
    const sr = <usize>b * (<usize>sStride << 2);
    const hpr = hPrev == 0 ? <usize>0 : hPrev + sr;
    let j = 0;
    for (; j < H4; j += 4) gruForwardLanes(gr, hhr, hr, hn + sr, out + sr, hpr, j, H, true);
    for (; j < H; j++) gruForwardLanes(gr, hhr, hr, hn + sr, out + sr, hpr, j, H, false);
  }
}

@inline function gruBackwardLanes(
  dgir: usize, dghr: usize, dgsr: usize, dhr: usize, gr: usize, hnr: usize, hpr: usize, doutr: usize, j: i32, H: i32, wide: bool,
): void {
  const H1 = H, H2 = 2 * H;
  const one = f32x4.splat(1);
  const r = wide ? ld(gr, j) : ld1(gr, j);
  const z = wide ? ld(gr, j + H1) : ld1(gr, j + H1);
  const n = wide ? ld(gr, j + H2) : ld1(gr, j + H2);
  const dhT = f32x4.add(wide ? ld(doutr, j) : ld1(doutr, j), wide ? ld(dhr, j) : ld1(dhr, j));
  const dnPre = f32x4.mul(f32x4.mul(dhT, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
  const hp = wide ? ld(hpr, j) : ld1(hpr, j);
  const dzPre = f32x4.mul(f32x4.mul(f32x4.mul(dhT, f32x4.sub(hp, n)), z), f32x4.sub(one, z));
  const hn = wide ? ld(hnr, j) : ld1(hnr, j);
  const drPre = f32x4.mul(f32x4.mul(f32x4.mul(dnPre, hn), r), f32x4.sub(one, r));
  const dnH = f32x4.mul(dnPre, r);
  const dhNew = f32x4.mul(dhT, z);
  if (wide) {
    st(dgir, j, drPre); st(dgir, j + H1, dzPre); st(dgir, j + H2, dnPre);
    st(dghr, j, drPre); st(dghr, j + H1, dzPre); st(dghr, j + H2, dnH);
    if (dgsr != 0) { st(dgsr, j, drPre); st(dgsr, j + H1, dzPre); st(dgsr, j + H2, dnH); }
    st(dhr, j, dhNew);
  } else {
    st1(dgir, j, drPre); st1(dgir, j + H1, dzPre); st1(dgir, j + H2, dnPre);
    st1(dghr, j, drPre); st1(dghr, j + H1, dzPre); st1(dghr, j + H2, dnH);
    if (dgsr != 0) { st1(dgsr, j, drPre); st1(dgsr, j + H1, dzPre); st1(dgsr, j + H2, dnH); }
    st1(dhr, j, dhNew);
  }
}

export function gruCellBackward(
  dGatesI: usize, dGatesH: usize, dGatesStep: usize, dh: usize,
  gates: usize, gStride: i32, hn: usize, hPrev: usize, dout: usize, sStride: i32, H: i32, b0: i32, b1: i32,
): void {
  const H4 = H & ~3;
  for (let b = b0; b < b1; b++) {
    const gOffB = <usize>b * (<usize>gStride << 2);
    const sr = <usize>b * (<usize>sStride << 2);
    const dgsr = dGatesStep == 0 ? <usize>0 : dGatesStep + <usize>b * (<usize>(3 * H) << 2);
    const dhr = dh + <usize>b * (<usize>H << 2);
    let j = 0;
    for (; j < H4; j += 4) gruBackwardLanes(dGatesI + gOffB, dGatesH + gOffB, dgsr, dhr, gates + gOffB, hn + sr, hPrev + sr, dout + sr, j, H, true);
    for (; j < H; j++) gruBackwardLanes(dGatesI + gOffB, dGatesH + gOffB, dgsr, dhr, gates + gOffB, hn + sr, hPrev + sr, dout + sr, j, H, false);
  }
}

// ---------------------------------------------------------------- RNN cell: h' = tanh(pre + hh)

export function rnnCellForward(out: usize, sStride: i32, hh: usize, h: usize, hPrev: usize, H: i32, b0: i32, b1: i32): void {
  const H4 = H & ~3;
  for (let b = b0; b < b1; b++) {
    const outr = out + <usize>b * (<usize>sStride << 2);
    const hpr = hPrev == 0 ? <usize>0 : hPrev + <usize>b * (<usize>sStride << 2);
    const hr = h + <usize>b * (<usize>H << 2);
    const hhr = hh + <usize>b * (<usize>H << 2);
    let j = 0;
    for (; j < H4; j += 4) {
      if (hpr != 0) st(hpr, j, ld(hr, j));
      const v = vtanh(f32x4.add(ld(outr, j), ld(hhr, j)));
      st(hr, j, v); st(outr, j, v);
    }
    for (; j < H; j++) {
      if (hpr != 0) st1(hpr, j, ld1(hr, j));
      const v = vtanh(f32x4.add(ld1(outr, j), ld1(hhr, j)));
      st1(hr, j, v); st1(outr, j, v);
    }
  }
}

export function rnnCellBackward(dPre: usize, dPreStep: usize, dh: usize, out: usize, dout: usize, sStride: i32, H: i32, b0: i32, b1: i32): void {
  const one = f32x4.splat(1);
  const H4 = H & ~3;
  for (let b = b0; b < b1; b++) {
    const sr = <usize>b * (<usize>sStride << 2);
    const dhr = dh + <usize>b * (<usize>H << 2);
    const dpsr = dPreStep == 0 ? <usize>0 : dPreStep + <usize>b * (<usize>H << 2);
    let j = 0;
    for (; j < H4; j += 4) {
      const y = ld(out + sr, j);
      const d = f32x4.mul(f32x4.add(ld(dout + sr, j), ld(dhr, j)), f32x4.sub(one, f32x4.mul(y, y)));
      st(dPre + sr, j, d);
      if (dpsr != 0) st(dpsr, j, d);
    }
    for (; j < H; j++) {
      const y = ld1(out + sr, j);
      const d = f32x4.mul(f32x4.add(ld1(dout + sr, j), ld1(dhr, j)), f32x4.sub(one, f32x4.mul(y, y)));
      st1(dPre + sr, j, d);
      if (dpsr != 0) st1(dpsr, j, d);
    }
  }
}

// ---------------------------------------------------------------- a layer's steps, for batch rows [b0, b1)
// The loops of ../steps.ts (stepLoops) for some rows only: each step's product and cell step. Rows never
// meet, so a thread takes its rows through every step without waiting for the others. Every element
// goes through the same functions as in the per-step kernels, hence the same numbers.

@inline function at(p: usize, floats: i32): usize {
  return p + (<usize>floats << 2);
}

export function lstmForwardRows(
  gates: usize, cells: usize, out: usize, hPrev: usize, hh: usize, h: usize, c: usize,
  w: usize, bias: usize, B: i32, T: i32, H: i32, b0: i32, b1: i32,
): void {
  const G = 4 * H;
  for (let t = 0; t < T; t++) {
    matmulABt(hh, h, w, bias, B, G, H, 0, b0, b1, 0, G);
    lstmCellForward(at(gates, t * G), T * G, hh, c, h, at(cells, t * H), at(out, t * H), hPrev == 0 ? 0 : at(hPrev, t * H), T * H, H, b0, b1);
  }
}

export function lstmBackwardRows(
  dGates: usize, dGatesStep: usize, dh: usize, dc: usize, gates: usize, cells: usize, dout: usize,
  w: usize, packed: usize, B: i32, T: i32, H: i32, b0: i32, b1: i32,
): void {
  const G = 4 * H;
  memory.fill(at(dh, b0 * H), 0, <usize>((b1 - b0) * H) << 2);
  memory.fill(at(dc, b0 * H), 0, <usize>((b1 - b0) * H) << 2);
  for (let t = T - 1; t >= 0; t--) {
    lstmCellBackward(at(dGates, t * G), dGatesStep, dh, dc, at(gates, t * G), T * G, at(cells, t * H),
      t > 0 ? at(cells, (t - 1) * H) : 0, at(dout, t * H), T * H, H, b0, b1);
    if (t > 0) matmulAB(dh, dGatesStep, w, packed, B, G, H, 0, b0, b1, 0, H);
  }
}

export function gruForwardRows(
  gates: usize, hn: usize, out: usize, hPrev: usize, hh: usize, h: usize,
  w: usize, bias: usize, B: i32, T: i32, H: i32, b0: i32, b1: i32,
): void {
  const G = 3 * H;
  for (let t = 0; t < T; t++) {
    matmulABt(hh, h, w, bias, B, G, H, 0, b0, b1, 0, G);
    gruCellForward(at(gates, t * G), T * G, hh, h, at(hn, t * H), at(out, t * H), hPrev == 0 ? 0 : at(hPrev, t * H), T * H, H, b0, b1);
  }
}

export function gruBackwardRows(
  dGatesI: usize, dGatesH: usize, dGatesStep: usize, dh: usize, gates: usize, hn: usize, hPrev: usize, dout: usize,
  w: usize, packed: usize, B: i32, T: i32, H: i32, b0: i32, b1: i32,
): void {
  const G = 3 * H;
  memory.fill(at(dh, b0 * H), 0, <usize>((b1 - b0) * H) << 2);
  for (let t = T - 1; t >= 0; t--) {
    gruCellBackward(at(dGatesI, t * G), at(dGatesH, t * G), dGatesStep, dh, at(gates, t * G), T * G, at(hn, t * H),
      at(hPrev, t * H), at(dout, t * H), T * H, H, b0, b1);
    if (t > 0) matmulAB(dh, dGatesStep, w, packed, B, G, H, 1, b0, b1, 0, H);
  }
}

export function rnnForwardRows(
  out: usize, hPrev: usize, hh: usize, h: usize, w: usize, bias: usize, B: i32, T: i32, H: i32, b0: i32, b1: i32,
): void {
  for (let t = 0; t < T; t++) {
    matmulABt(hh, h, w, bias, B, H, H, 0, b0, b1, 0, H);
    rnnCellForward(at(out, t * H), T * H, hh, h, hPrev == 0 ? 0 : at(hPrev, t * H), H, b0, b1);
  }
}

export function rnnBackwardRows(
  dPre: usize, dPreStep: usize, dh: usize, out: usize, dout: usize, w: usize, packed: usize, B: i32, T: i32, H: i32, b0: i32, b1: i32,
): void {
  memory.fill(at(dh, b0 * H), 0, <usize>((b1 - b0) * H) << 2);
  for (let t = T - 1; t >= 0; t--) {
    rnnCellBackward(at(dPre, t * H), dPreStep, dh, at(out, t * H), at(dout, t * H), T * H, H, b0, b1);
    if (t > 0) matmulAB(dh, dPreStep, w, packed, B, H, H, 0, b0, b1, 0, H);
  }
}

// ---------------------------------------------------------------- cross-entropy (mean over N rows)

let correctCount: i32 = 0;

/** Number of rows whose first maximum is the target, from the last crossEntropyForward. */
export function lastCorrect(): i32 {
  return correctCount;
}

/** probs(N,V) ← softmax(logits); returns Σ_n -log p[n, y_n] (a sum: the caller divides by N). Returns NaN on a bad target. */
export function crossEntropyForward(probs: usize, logits: usize, targets: usize, N: i32, V: i32): f64 {
  let total: f64 = 0;
  let correct = 0;
  const rowV = <usize>V << 2;
  for (let n = 0; n < N; n++) {
    const lr = logits + <usize>n * rowV;
    const pr = probs + <usize>n * rowV;
    const y = load<i32>(targets + (<usize>n << 2));
    if (y < 0 || y >= V) return NaN;
    let max: f32 = -Infinity;
    let argmax = 0;
    for (let v = 0; v < V; v++) {
      const z = load<f32>(lr + (<usize>v << 2));
      if (z > max) { max = z; argmax = v; }
    }
    let sum: f64 = 0;
    const mv = f32x4.splat(max);
    let v = 0;
    for (; v + 4 <= V; v += 4) {
      const e = vexp(f32x4.sub(ld(lr, v), mv));
      st(pr, v, e);
      sum += <f64>hsum(e);
    }
    for (; v < V; v++) {
      const e = vexp(f32x4.sub(ld1(lr, v), mv));
      st1(pr, v, e);
      sum += <f64>f32x4.extract_lane(e, 0);
    }
    const inv = <f32>(1 / sum);
    const iv = f32x4.splat(inv);
    v = 0;
    for (; v + 4 <= V; v += 4) st(pr, v, f32x4.mul(ld(pr, v), iv));
    for (; v < V; v++) store<f32>(pr + (<usize>v << 2), load<f32>(pr + (<usize>v << 2)) * inv);
    total -= <f64>load<f32>(lr + (<usize>y << 2)) - <f64>max - Math.log(sum);
    if (argmax == y) correct++;
  }
  correctCount = correct;
  return total;
}

/** dlogits(N,V) += (probs - onehot(y)) / meanOver (the batch's row count: N, or more when these rows are one chunk) */
export function crossEntropyBackward(dlogits: usize, probs: usize, targets: usize, N: i32, V: i32, meanOver: i32): void {
  const scale: f32 = <f32>(1.0 / <f64>meanOver);
  const sv = f32x4.splat(scale);
  const rowV = <usize>V << 2;
  for (let n = 0; n < N; n++) {
    const dr = dlogits + <usize>n * rowV;
    const pr = probs + <usize>n * rowV;
    let v = 0;
    for (; v + 4 <= V; v += 4) st(dr, v, f32x4.add(ld(dr, v), f32x4.mul(ld(pr, v), sv)));
    for (; v < V; v++) store<f32>(dr + (<usize>v << 2), load<f32>(dr + (<usize>v << 2)) + load<f32>(pr + (<usize>v << 2)) * scale);
    const y = load<i32>(targets + (<usize>n << 2));
    const p = dr + (<usize>y << 2);
    store<f32>(p, load<f32>(p) - scale);
  }
}

// ---------------------------------------------------------------- Adam (torch.optim.Adam, single-tensor path)
// g = grad + wd·p; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
// p -= (lr / (1-β1^t)) · m / (sqrt(v) / sqrt(1-β2^t) + eps)

export function adamStep(
  params: usize, grads: usize, expAvg: usize, expAvgSq: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, step: i32,
): void {
  const bc1 = <f32>(1 - Math.pow(<f64>beta1, <f64>step));
  const bc2 = <f32>(1 - Math.pow(<f64>beta2, <f64>step));
  const stepSize: f32 = lr / bc1;
  const bc2Sqrt: f32 = Mathf.sqrt(bc2);
  const b1 = f32x4.splat(beta1), ob1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), ob2 = f32x4.splat(1 - beta2);
  const wd = f32x4.splat(weightDecay), ss = f32x4.splat(stepSize), bs = f32x4.splat(bc2Sqrt), ev = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = ld(params, i);
    let g = ld(grads, i);
    if (weightDecay != 0) g = f32x4.add(g, f32x4.mul(p, wd));
    const m = f32x4.add(f32x4.mul(ld(expAvg, i), b1), f32x4.mul(g, ob1));
    const v = f32x4.add(f32x4.mul(ld(expAvgSq, i), b2), f32x4.mul(f32x4.mul(g, g), ob2));
    st(expAvg, i, m);
    st(expAvgSq, i, v);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), bs), ev);
    st(params, i, f32x4.sub(p, f32x4.mul(ss, f32x4.div(m, denom))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(params + o);
    let g = load<f32>(grads + o);
    if (weightDecay != 0) g += p * weightDecay;
    const m = load<f32>(expAvg + o) * beta1 + g * (1 - beta1);
    const v = load<f32>(expAvgSq + o) * beta2 + g * g * (1 - beta2);
    store<f32>(expAvg + o, m);
    store<f32>(expAvgSq + o, v);
    const denom = Mathf.sqrt(v) / bc2Sqrt + eps;
    store<f32>(params + o, p - stepSize * (m / denom));
  }
}
