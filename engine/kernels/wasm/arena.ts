/**
 * The shared WebAssembly.Memory every buffer of a model lives in, handed out by a bump allocator:
 * `alloc` for model buffers, `reserve` for the kernels' scratch. Nothing is freed; a model's buffers
 * live as long as its kernels, and the memory grows (never moves: its maximum is reserved up front).
 *
 * Arrays that do not live in this memory (a plain Float32Array) still work: `ptr` copies them into a
 * staging area, and `finish` copies outputs back after the call. Correct, but slower — allocate model
 * buffers with `alloc`.
 *
 * Not here: the memory's limits (module.ts), what is computed at the addresses (kernel-set.ts).
 */
import { HEAP_BASE, MAXIMUM_PAGES } from './module.ts';

const PAGE_BYTES = 65536;

export class Arena {
  readonly memory: WebAssembly.Memory;
  /** Every buffer the memory has had: growing replaces memory.buffer, and older views keep the old one. */
  private readonly buffers = new Set<ArrayBufferLike>();
  /** Arrays handed out by alloc: a WeakSet lookup is cheaper than the `.buffer` getter on every call. */
  private readonly owned = new WeakSet<Float32Array>();
  private lastBuffer: ArrayBufferLike;
  private top = HEAP_BASE;
  // staging for arrays outside the memory
  private stageBase = 0;
  private stageSize = 0;
  private stageTop = 0;
  private readonly copyBack: { src: Float32Array; dst: Float32Array; dstOff: number }[] = [];

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.buffers.add(memory.buffer);
    this.lastBuffer = memory.buffer;
  }

  /** A zero-filled array of `length` floats in the memory, 64-byte aligned. */
  alloc(length: number): Float32Array {
    const bytes = Math.max(64, (length * 4 + 63) & ~63);
    const ptr = this.reserve(bytes);
    const a = new Float32Array(this.memory.buffer, ptr, length);
    this.owned.add(a);
    return a;
  }

  /** The byte address of `bytes` fresh bytes, growing the memory when needed. */
  reserve(bytes: number): number {
    const ptr = this.top;
    const end = ptr + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE_BYTES);
      if (have / PAGE_BYTES + pages > MAXIMUM_PAGES) {
        throw new Error(`The WebAssembly kernels' memory is full: ${(end / 2 ** 20).toFixed(0)} MiB asked, ${MAXIMUM_PAGES / 16} MiB at most. Use a smaller batch, window or model.`);
      }
      this.memory.grow(pages);
      this.lastBuffer = this.memory.buffer;
      this.buffers.add(this.lastBuffer);
    }
    this.top = end;
    return ptr;
  }

  /** Byte address of a[off]; arrays outside the memory are staged (copied in, and back after when `output`). */
  ptr(a: Float32Array, off: number, length: number, copyIn: boolean, output: boolean): number {
    if (this.inMemory(a)) return a.byteOffset + 4 * off;
    const p = this.stage(length * 4);
    const view = new Float32Array(this.memory.buffer, p, length);
    if (copyIn) view.set(a.subarray(off, off + length));
    if (output) this.copyBack.push({ src: view, dst: a, dstOff: off });
    return p;
  }

  /** Byte address of a[off] for an input of integers (targets). */
  ptrI32(a: Int32Array, off: number, length: number): number {
    if (this.inMemory(a)) return a.byteOffset + 4 * off;
    const p = this.stage(length * 4);
    new Int32Array(this.memory.buffer, p, length).set(a.subarray(off, off + length));
    return p;
  }

  /** After a kernel: copies staged outputs back to their arrays and empties the staging area. */
  finish(): void {
    if (this.copyBack.length === 0 && this.stageTop === 0) return;
    for (const { src, dst, dstOff } of this.copyBack) dst.set(src, dstOff);
    this.copyBack.length = 0;
    this.stageTop = 0;
  }

  private inMemory(a: Float32Array | Int32Array): boolean {
    if (this.owned.has(a as Float32Array)) return true;
    const buffer = a.buffer;
    return buffer === this.lastBuffer || this.buffers.has(buffer);
  }

  private stage(bytes: number): number {
    const need = this.stageTop + ((bytes + 63) & ~63);
    if (need > this.stageSize) {
      // a fresh, larger area; the old one is abandoned (staging is the slow path anyway)
      const size = Math.max(need * 2, 1 << 20);
      this.stageBase = this.reserve(size);
      this.stageSize = size;
      this.stageTop = 0;
      if (need > size) throw new Error('staging overflow');
    }
    const p = this.stageBase + this.stageTop;
    this.stageTop += (bytes + 63) & ~63;
    return p;
  }
}
