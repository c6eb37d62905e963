/**
 * What this runtime's WebAssembly can run: SIMD, and relaxed SIMD (fused multiply-add), each found by
 * validating a tiny hand-written module that uses it.
 *
 * Not here: choosing a build from the answer (index.ts), choosing a kernel path (engine/kernels/index.ts).
 */

/** A module whose only function uses f32x4.relaxed_madd: valid exactly when relaxed SIMD is. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b,
]);

/** A module whose only function returns a v128 constant: valid exactly when SIMD is. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0x0b,
]);

/**
 * Whether this runtime validates relaxed SIMD. Where it sits behind a flag (Node 20), `enable` turns
 * the flag on first (the host's `enableRelaxedSimd`; a runtime that refuses stays on plain SIMD).
 */
export function relaxedSimdSupported(enable?: () => void): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  enable?.();
  return WebAssembly.validate(RELAXED_PROBE);
}

export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}
