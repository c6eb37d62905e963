/**
 * The safetensors file format (https://github.com/huggingface/safetensors), for float32 tensors:
 *   [u64 little-endian N][N bytes of UTF-8 JSON header][data]
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to
 * the start of the data) and may hold `__metadata__`, a string → string map. Like the Python library we
 * pad the header with spaces to a multiple of 8 and lay the tensors out back to back.
 *
 * Decoding checks what the Python library checks (sizes, offsets inside the data, no overlaps or gaps,
 * the data fully covered, shape × element size = byte span) and reports each problem as a
 * CheckpointError naming the tensor. Tensors come back as fresh Float32Arrays, so unaligned offsets
 * are fine. F16 and BF16 tensors are widened to float32 (exact); every other dtype (F64, integers, …)
 * is refused rather than silently rounded.
 * Not the checkpoint: which tensors a model needs and what the metadata means is `checkpoint.ts`.
 */
import { CheckpointError, groupDigits } from '../text/errors.ts';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

const METADATA_KEY = '__metadata__';
/** Bytes per element of the dtypes we read. */
const ELEMENT_SIZE: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
/** The Python library refuses headers above 100 MB; so do we (a corrupted length would allocate gigabytes). */
const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new CheckpointError(`Metadata "${key}" must be a string (got ${typeof value}).`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === '' || name === METADATA_KEY) throw new CheckpointError(`"${name}" cannot be a tensor name.`);
    const elements = elementCount(tensor.shape);
    if (elements === null || elements !== tensor.data.length) {
      throw new CheckpointError(`Tensor "${name}" has shape ${showShape(tensor.shape)} but ${groupDigits(tensor.data.length)} values.`);
    }
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + 4 * elements] };
    offset += 4 * elements;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true); // high 32 bits stay 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let at = 8 + headerLength;
  for (const tensor of Object.values(tensors)) {
    const { data } = tensor;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
    at += data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) {
    throw new CheckpointError(`The file is ${bytes.length} bytes long; a safetensors file starts with an 8-byte header length.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.length - 8) {
    throw new CheckpointError(
      `The header claims ${groupDigits(headerLength)} bytes but only ${groupDigits(bytes.length - 8)} follow the length: the file is truncated or not safetensors.`,
    );
  }
  if (headerLength > MAX_HEADER_BYTES) throw new CheckpointError(`The header claims ${groupDigits(headerLength)} bytes, more than safetensors allows.`);

  const header = parseHeader(bytes.subarray(8, 8 + headerLength));
  const metadata = readMetadata(header[METADATA_KEY]);
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, value]) => readEntry(name, value));

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  checkCoverage(entries, dataLength);

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) tensors[e.name] = { shape: e.shape, data: readData(bytes, view, dataStart + e.begin, e) };
  return { tensors, metadata };
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new CheckpointError('The header is not valid UTF-8: the file is corrupted or not safetensors.');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`The header is not valid JSON (${(err as Error).message}): the file is corrupted or not safetensors.`);
  }
  if (!isPlainObject(header)) throw new CheckpointError('The header must be a JSON object of tensors: the file is corrupted or not safetensors.');
  return header;
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new CheckpointError('The header\'s "__metadata__" must be an object of strings.');
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new CheckpointError(`Metadata "${key}" must be a string (got ${JSON.stringify(v)}).`);
    metadata[key] = v;
  }
  return metadata;
}

function readEntry(name: string, value: unknown): Entry {
  if (name === '' || name === '__proto__') throw new CheckpointError(`The header names a tensor ${JSON.stringify(name)}, which is not a usable name.`);
  if (!isPlainObject(value)) throw new CheckpointError(`Tensor "${name}" has no {dtype, shape, data_offsets} description in the header.`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw new CheckpointError(`Tensor "${name}" has no dtype.`);
  if (!(dtype in ELEMENT_SIZE)) {
    throw new CheckpointError(`Tensor "${name}" has dtype ${dtype}; the workbench reads F32 tensors (and F16/BF16, widened). Save the model as float32 (model.float()).`);
  }
  if (!Array.isArray(shape) || !shape.every(isWholeNumber)) {
    throw new CheckpointError(`Tensor "${name}" has shape ${JSON.stringify(shape)}; a shape is a list of whole numbers.`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isWholeNumber) || offsets[0] > offsets[1]) {
    throw new CheckpointError(`Tensor "${name}" has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with begin ≤ end.`);
  }
  const [begin, end] = offsets as number[];
  const expected = elementCount(shape)! * ELEMENT_SIZE[dtype];
  if (end - begin !== expected) {
    throw new CheckpointError(
      `Tensor "${name}" has shape ${showShape(shape)} (${groupDigits(expected)} bytes of ${dtype}) but its data_offsets span ${groupDigits(end - begin)} bytes.`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The tensors must tile the data area exactly: from 0, back to back, to its last byte. */
function checkCoverage(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (e.end > dataLength) {
      throw new CheckpointError(
        `Tensor "${e.name}" ends at data byte ${groupDigits(e.end)} but the data is only ${groupDigits(dataLength)} bytes: the file is truncated.`,
      );
    }
    if (e.begin < covered) {
      throw new CheckpointError(`Tensor "${e.name}" (data bytes ${e.begin}..${e.end}) overlaps tensor "${previous!.name}" (${previous!.begin}..${previous!.end}).`);
    }
    if (e.begin > covered) {
      throw new CheckpointError(`Data bytes ${covered}..${e.begin} before tensor "${e.name}" belong to no tensor: the offsets are corrupted.`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    throw new CheckpointError(`The data is ${groupDigits(dataLength)} bytes but the tensors cover only ${groupDigits(covered)}: the file has trailing bytes or is corrupted.`);
  }
}

function readData(bytes: Uint8Array, view: DataView, at: number, e: Entry): Float32Array {
  const n = elementCount(e.shape)!;
  const out = new Float32Array(n);
  if (e.dtype === 'F32') {
    // A byte copy into a fresh buffer: works at any alignment and keeps every bit (NaN payloads too).
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * n));
    else for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + 4 * i, true);
  } else if (e.dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(at + 2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
  }
  return out;
}

/** IEEE 754 binary16 → number (exact). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function elementCount(shape: number[]): number | null {
  if (!Array.isArray(shape) || !shape.every(isWholeNumber)) return null;
  return shape.reduce((a, b) => a * b, 1);
}

function isWholeNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
