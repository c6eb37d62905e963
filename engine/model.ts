/**
 * The character model: Embedding → L recurrent layers (LSTM | GRU | RNN, dropout between them while
 * training) → Linear, with mean cross-entropy. Objective 'next': the head reads the last step only,
 * logits (B, V), targets (B). Objective 'every': the head reads every step, logits (B·T, V), targets
 * (B·T). This is PyTorch's
 *   logits = linear(rnn(embedding(x))[0][:, -1])   resp.   linear(rnn(embedding(x))[0])
 * computed with the layer functions in engine/layers over one flat parameter array.
 *
 * Not a trainer (engine/train) and not a sampler (engine/infer): it owns parameters, gradients and the
 * activation buffers, and offers forward+backward, evaluation and one-token steps.
 * Activation buffers are allocated once per (B, T) capacity and reused while a batch fits in them.
 * The head (Linear → softmax cross-entropy, forward and backward) runs over chunks of at most
 * `headChunkRows` predictions with one chunk's scratch, so a full batch over a large vocabulary never
 * holds its (rows, V) logits at once; with one chunk the results are those of a single pass, bit for bit.
 */
import { CELL_KINDS, GATES, OBJECTIVES, firstLayerReadsTokens, headChunkRows, tokenInputFloats, type ModelConfig } from './config.ts';
import { initParams } from './core/init.ts';
import { buildLayout, recurrentNames, type ParamLayout } from './core/params.ts';
import type { Rng } from './core/rng.ts';
import { referenceKernels } from './kernels/reference.ts';
import { assertFusedKernels, type FusedKernels } from './kernels/fused.ts';
import type { Kernels } from './kernels/types.ts';
import { dropoutBackward, dropoutForward } from './layers/dropout.ts';
import { checkTokenIds, embeddingBackward, embeddingForward } from './layers/embedding.ts';
import { gruBackward, gruForward } from './layers/gru.ts';
import { rowsInput, type LayerInput } from './layers/layer-input.ts';
import { linearBackward, linearForward } from './layers/linear.ts';
import { lstmBackward, lstmForward } from './layers/lstm.ts';
import type { RecurrentOffsets } from './layers/recurrent.ts';
import { rnnBackward, rnnForward } from './layers/rnn.ts';

export interface LossResult {
  /** Mean cross-entropy over `count` predictions, in nats. */
  loss: number;
  /** Predictions whose top-1 character is the target. */
  correct: number;
  /** Predictions made: B ('next') or B·T ('every'). */
  count: number;
}

/** Recurrent state of a batch-1 sequence fed token by token: per layer, (H). */
export interface StepState {
  h: Float32Array[];
  c: Float32Array[] | null;
}

/** Gate activations of one token: per layer, name → Float32Array(H). LSTM: i,f,g,o,c,h; GRU: r,z,n,h; RNN: h. */
export type GateTrace = Record<string, Float32Array>[];

export interface ModelOptions {
  /** Predictions the head computes at a time (default headChunkRows(V) from engine/config.ts: ≈ 16 MB per scratch buffer). */
  headChunkRows?: number;
}

/** One layer's activations over a chunk read by `readChunk`. */
export interface ChunkLayerView {
  out: Float32Array; // (T, H) hidden state after every token
  gates: Float32Array | null; // (T, G·H) activated gates: LSTM i,f,g,o; GRU r,z,n; none for RNN
  cells: Float32Array | null; // (T, H) cell state after every token (LSTM)
}

export interface ChunkView {
  layers: ChunkLayerView[];
  logits: Float32Array; // (T, V) logits after every token
}

/** Views of the most recent forward's results (valid until the next call on the same model). */
export interface ForwardView {
  /** (rows, V): rows = B ('next') or B·T ('every'). Computed when lastForward is called. */
  logits: Float32Array;
  /** (B, T, H) output of the last recurrent layer. */
  output: Float32Array;
  /** Per layer, (B, H) final hidden state. */
  hN: Float32Array[];
  /** Per layer, (B, H) final cell state (LSTM only). */
  cN: Float32Array[] | null;
}

/** One recurrent layer's activations; every buffer is sized for the workspace's capacity. */
interface LayerBuffers {
  out: Float32Array; // (B, T, H) output
  gates: Float32Array | null; // (B, T, G·H) activated gates (LSTM, GRU)
  cells: Float32Array | null; // (B, T, H) cell states (LSTM)
  hn: Float32Array | null; // (B, T, H) W_hn·h + b_hn (GRU)
  hPrev: Float32Array; // (B, T, H) state entering each step
  h: Float32Array; // (B, H) initial, then final hidden state
  c: Float32Array | null; // (B, H) initial, then final cell state (LSTM)
  dOut: Float32Array; // (B, T, H) gradient wrt out
  dropMask: Float32Array | null; // (B, T, H) dropout mask applied to out (not on the last layer)
  dropOut: Float32Array | null; // (B, T, H) out after dropout: the next layer's input
}

/** All activation buffers for batches of up to `batch` sequences and `rows` = B·T tokens (sizes: activationFloatsPer* in engine/config.ts). */
interface Workspace {
  batch: number;
  rows: number;
  emb: Float32Array; // (B, T, E)
  dEmb: Float32Array; // (B, T, E)
  /** (V, G) the embedding's rows times the first layer's W_ih (+ b_ih), when it reads token ids (tokenInputFloats); else null. */
  projected: Float32Array | null;
  /** (V, G) their gradient (training only). */
  dProjected: Float32Array | null;
  /** What the latest forward's first layer read: its embedded rows, or the ids themselves. */
  input: LayerInput | null;
  layers: LayerBuffers[];
  hh: Float32Array; // (B, G·H) one step's recurrent product
  dGates: Float32Array; // (B, T, G·H)
  dGatesH: Float32Array | null; // (B, T, G·H) GRU's hidden-side gradients
  dGatesStep: Float32Array; // (B, G·H)
  dh: Float32Array; // (B, H)
  dc: Float32Array; // (B, H)
  dDrop: Float32Array | null; // (B, T, H) gradient wrt a dropout output
  headRows: number; // predictions per head chunk: the scratch below holds this many rows
  logits: Float32Array; // (headRows, V) one chunk's logits
  probs: Float32Array; // (headRows, V) their softmax
  dLogits: Float32Array; // (headRows, V) their gradient
  allLogits: Float32Array | null; // (B or B·T, V) only when logits()/lastForward ask for more rows than a chunk
  dLast: Float32Array; // (B, H) gradient wrt the last step's h ('next')
  /** Whether the latest forward applied dropout (then layer l+1 read dropOut of layer l). */
  dropped: boolean;
}

export class Model {
  readonly config: ModelConfig;
  readonly layout: ParamLayout;
  readonly kernels: Kernels & FusedKernels;
  readonly params: Float32Array;
  readonly grads: Float32Array;

  private readonly embOff: number;
  private readonly linW: number;
  private readonly linB: number;
  private readonly recurrent: RecurrentOffsets[];
  private readonly chunkRows: number;
  private work: Workspace | null = null;
  private stepWork: Workspace | null = null;
  private chunkWork: Workspace | null = null;
  private readonly stepIds = new Int32Array(1);
  private lastB = 0;
  private lastT = 0;

  constructor(config: ModelConfig, kernels: Kernels = referenceKernels, options: ModelOptions = {}) {
    checkConfig(config);
    this.chunkRows = options.headChunkRows ?? headChunkRows(config.vocabSize);
    if (!Number.isInteger(this.chunkRows) || this.chunkRows < 1) {
      throw new Error(`The head's chunk must be a whole number of at least 1 row (got ${this.chunkRows}).`);
    }
    this.config = { ...config };
    assertFusedKernels(kernels);
    this.kernels = kernels;
    this.layout = buildLayout(config);
    this.params = kernels.alloc(this.layout.total);
    this.grads = kernels.alloc(this.layout.total);
    this.embOff = this.layout.get('embedding.weight').offset;
    this.linW = this.layout.get('linear.weight').offset;
    this.linB = this.layout.get('linear.bias').offset;
    this.recurrent = [];
    for (let l = 0; l < config.layers; l++) {
      const n = recurrentNames(config.cell, l);
      this.recurrent.push({
        wIh: this.layout.get(n.weightIh).offset,
        wHh: this.layout.get(n.weightHh).offset,
        bIh: this.layout.get(n.biasIh).offset,
        bHh: this.layout.get(n.biasHh).offset,
      });
    }
  }

  /** PyTorch's default initialisation (engine/core/init.ts). */
  initParams(rng: Rng): void {
    initParams(this.params, this.layout, this.config, rng);
  }

  zeroGrads(): void {
    this.kernels.zero(this.grads, 0, this.grads.length);
  }

  /** inputs (B,T) ids; targets (B) for 'next' or (B,T) for 'every'. Gradients ACCUMULATE (+=). Mean loss. */
  forwardBackward(inputs: Int32Array, targets: Int32Array, B: number, T: number, dropoutRng: Rng | null): LossResult {
    const { embed: E, hidden: H, layers: L, cell } = this.config;
    const rows = this.checkBatch(inputs, targets, B, T);
    const ws = this.workspace(B, T);
    const k = this.kernels;
    this.forward(ws, inputs, B, T, this.config.dropout > 0 ? dropoutRng : null);

    // head
    const top = ws.layers[L - 1];
    k.zero(top.dOut, 0, B * T * H);
    let ce: LossResult;
    if (this.config.objective === 'next') {
      ws.dLast.fill(0, 0, B * H);
      ce = this.head(ws, top.h, ws.dLast, targets, rows);
      // only the last step feeds the head: its rows of dOut get dLast, the rest stay zero
      for (let b = 0; b < B; b++) {
        const dst = (b * T + T - 1) * H;
        for (let j = 0; j < H; j++) top.dOut[dst + j] = ws.dLast[b * H + j];
      }
    } else {
      ce = this.head(ws, top.out, top.dOut, targets, rows);
    }

    // recurrent layers, top down
    for (let l = L - 1; l >= 0; l--) {
      const lb = ws.layers[l];
      const below = l > 0 ? ws.layers[l - 1] : null;
      const I = l === 0 ? E : H;
      const dropped = below !== null && ws.dropped && below.dropMask !== null;
      const input = below === null ? ws.input! : dropped ? rowsInput(below.dropOut!, ws.dDrop!) : rowsInput(below.out, below.dOut);
      if (input.kind === 'rows') k.zero(input.dx!, 0, B * T * I);
      const p = this.recurrent[l];
      if (cell === 'lstm') {
        lstmBackward(this.grads, p, ws.dGates, ws.dGatesStep, ws.dh, ws.dc, lb.dOut, lb.gates!, lb.cells!, lb.hPrev, input, this.params, B, T, I, H, k);
      } else if (cell === 'gru') {
        gruBackward(this.grads, p, ws.dGates, ws.dGatesH!, ws.dGatesStep, ws.dh, lb.dOut, lb.gates!, lb.hn!, lb.hPrev, input, this.params, B, T, I, H, k);
      } else {
        rnnBackward(this.grads, p, ws.dGates, ws.dGatesStep, ws.dh, lb.dOut, lb.out, lb.hPrev, input, this.params, B, T, I, H, k);
      }
      if (below !== null && dropped) {
        k.zero(below.dOut, 0, B * T * H);
        dropoutBackward(below.dOut, ws.dDrop!, below.dropMask!, B * T * H);
      }
    }
    // a first layer that read token ids has already added the embedding's gradient (layer-input.ts)
    if (ws.input!.kind === 'rows') embeddingBackward(this.grads, this.embOff, ws.dEmb, inputs, B * T, E);
    return ce;
  }

  /** Forward only, no dropout: loss and top-1 correct count. */
  evaluate(inputs: Int32Array, targets: Int32Array, B: number, T: number): LossResult {
    const rows = this.checkBatch(inputs, targets, B, T);
    const ws = this.workspace(B, T);
    this.forward(ws, inputs, B, T, null);
    return this.head(ws, this.headInput(ws), null, targets, rows);
  }

  /** Forward only; logits (rows, V), rows = B ('next') or B·T ('every'). The array is reused by the next call. */
  logits(inputs: Int32Array, B: number, T: number): Float32Array {
    this.checkBatch(inputs, null, B, T);
    const ws = this.workspace(B, T);
    this.forward(ws, inputs, B, T, null);
    return this.allLogits(ws, this.rowsOf(B, T));
  }

  /** Views of the most recent forward (forwardBackward, evaluate or logits): logits, last layer's output, final states. */
  lastForward(): ForwardView {
    const ws = this.work;
    if (ws === null || this.lastB === 0) throw new Error('No forward pass has run on this model yet.');
    const B = this.lastB;
    const T = this.lastT;
    const H = this.config.hidden;
    return {
      logits: this.allLogits(ws, this.rowsOf(B, T)),
      output: ws.layers[ws.layers.length - 1].out.subarray(0, B * T * H),
      hN: ws.layers.map((lb) => lb.h.subarray(0, B * H)),
      cN: this.config.cell === 'lstm' ? ws.layers.map((lb) => lb.c!.subarray(0, B * H)) : null,
    };
  }

  /** Batch 1, zero hidden (and cell) state. */
  createState(): StepState {
    const { layers: L, hidden: H, cell } = this.config;
    return {
      h: Array.from({ length: L }, () => new Float32Array(H)),
      c: cell === 'lstm' ? Array.from({ length: L }, () => new Float32Array(H)) : null,
    };
  }

  /** Feed one token; writes logits (V) into outLogits; with a trace, records every layer's gates. */
  step(state: StepState, token: number, outLogits: Float32Array, trace?: GateTrace): void {
    const { layers: L, hidden: H, vocabSize: V, embed: E, cell } = this.config;
    if (outLogits.length < V) throw new Error(`The logits buffer holds ${outLogits.length} values; the vocabulary has ${V}.`);
    if (state.h.length !== L || (cell === 'lstm') !== (state.c !== null)) {
      throw new Error(`This state does not belong to a ${L}-layer ${cell.toUpperCase()} model.`);
    }
    if (this.stepWork === null) this.stepWork = this.allocWorkspace(1, 1, false);
    const ws = this.stepWork;
    this.stepIds[0] = token;
    embeddingForward(ws.emb, this.stepIds, this.params, this.embOff, 1, E, V);
    let x = ws.emb;
    for (let l = 0; l < L; l++) {
      const lb = ws.layers[l];
      lb.h.set(state.h[l]);
      if (state.c !== null) lb.c!.set(state.c[l]);
      this.layerForward(ws, l, rowsInput(x), 1, 1);
      state.h[l].set(lb.h.subarray(0, H));
      if (state.c !== null) state.c[l].set(lb.c!.subarray(0, H));
      if (trace) recordTrace(trace, l, cell, lb, H);
      x = lb.out;
    }
    linearForward(ws.logits, ws.layers[L - 1].h, this.params, this.linW, this.linB, 1, V, H, this.kernels);
    outLogits.set(ws.logits.subarray(0, V));
  }

  /**
   * Batch 1: T tokens read on from `state` (which then holds the state after them), no dropout. Returns
   * views (valid until the next call) of every layer's activations and the logits after every token,
   * (T, V) whatever the objective: one chunk of a long trace (engine/inspect/trace.ts). The same numbers
   * as `step` T times, with the input products of the chunk done as one matrix product.
   */
  readChunk(state: StepState, inputs: Int32Array, T: number): ChunkView {
    const { layers: L, hidden: H, vocabSize: V, embed: E, cell } = this.config;
    this.checkBatch(inputs, null, 1, T);
    if (state.h.length !== L || (cell === 'lstm') !== (state.c !== null)) {
      throw new Error(`This state does not belong to a ${L}-layer ${cell.toUpperCase()} model.`);
    }
    if (this.chunkWork === null || this.chunkWork.rows < T) this.chunkWork = this.allocWorkspace(1, T, false);
    const ws = this.chunkWork;
    embeddingForward(ws.emb, inputs, this.params, this.embOff, T, E, V);
    let x = ws.emb;
    const G = GATES[cell] * H;
    const layers: ChunkView['layers'] = [];
    for (let l = 0; l < L; l++) {
      const lb = ws.layers[l];
      lb.h.set(state.h[l]);
      if (state.c !== null) lb.c!.set(state.c[l]);
      this.layerForward(ws, l, rowsInput(x), 1, T);
      state.h[l].set(lb.h.subarray(0, H));
      if (state.c !== null) state.c[l].set(lb.c!.subarray(0, H));
      layers.push({
        out: lb.out.subarray(0, T * H),
        gates: lb.gates === null ? null : lb.gates.subarray(0, T * G),
        cells: lb.cells === null ? null : lb.cells.subarray(0, T * H),
      });
      x = lb.out;
    }
    if (ws.allLogits === null || ws.allLogits.length < T * V) ws.allLogits = this.kernels.alloc(T * V);
    linearForward(ws.allLogits, ws.layers[L - 1].out, this.params, this.linW, this.linB, T, V, H, this.kernels);
    return { layers, logits: ws.allLogits.subarray(0, T * V) };
  }

  // ——— internals ———

  /**
   * The head over `rows` predictions read from x (rows, H), ws.headRows at a time: logits, softmax and
   * the mean cross-entropy; with dx, also the backward — the head's weight and bias gradients
   * accumulate, dx (rows, H) += each chunk's input gradient. A chunk's gradient is scaled by the whole
   * batch (1/rows), so the chunks add up to one pass.
   */
  private head(ws: Workspace, x: Float32Array, dx: Float32Array | null, targets: Int32Array, rows: number): LossResult {
    const { vocabSize: V, hidden: H } = this.config;
    const k = this.kernels;
    let sum = 0;
    let correct = 0;
    for (let r0 = 0; r0 < rows; r0 += ws.headRows) {
      const n = Math.min(ws.headRows, rows - r0);
      const xChunk = x.subarray(r0 * H, (r0 + n) * H);
      linearForward(ws.logits, xChunk, this.params, this.linW, this.linB, n, V, H, k);
      const ce = k.crossEntropyForward(ws.probs, 0, ws.logits, 0, targets, r0, n, V);
      sum += ce.sum;
      correct += ce.correct;
      if (dx === null) continue;
      ws.dLogits.fill(0, 0, n * V);
      k.crossEntropyBackward(ws.dLogits, 0, ws.probs, 0, targets, r0, n, V, rows);
      linearBackward(dx.subarray(r0 * H, (r0 + n) * H), this.grads, this.linW, this.linB, ws.dLogits, xChunk, this.params, this.linW, n, V, H, k);
    }
    return { loss: sum / rows, correct, count: rows };
  }

  /** What the head reads: the last step's hidden state ('next', (B, H)) or every step's output ('every', (B·T, H)). */
  private headInput(ws: Workspace): Float32Array {
    const top = ws.layers[ws.layers.length - 1];
    return this.config.objective === 'next' ? top.h : top.out;
  }

  /** All `rows` logits of the latest forward: in the chunk scratch when they fit, else in a buffer grown on demand. */
  private allLogits(ws: Workspace, rows: number): Float32Array {
    const { vocabSize: V, hidden: H } = this.config;
    let out = ws.logits;
    if (rows > ws.headRows) {
      if (ws.allLogits === null || ws.allLogits.length < rows * V) ws.allLogits = this.kernels.alloc(rows * V);
      out = ws.allLogits;
    }
    linearForward(out, this.headInput(ws), this.params, this.linW, this.linB, rows, V, H, this.kernels);
    return out.subarray(0, rows * V);
  }

  private rowsOf(B: number, T: number): number {
    return this.config.objective === 'next' ? B : B * T;
  }

  private checkBatch(inputs: Int32Array, targets: Int32Array | null, B: number, T: number): number {
    if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1) {
      throw new Error(`A batch needs at least one sequence of at least one token (got B=${B}, T=${T}).`);
    }
    if (inputs.length < B * T) throw new Error(`Inputs hold ${inputs.length} ids; a batch of ${B}×${T} needs ${B * T}.`);
    const rows = this.rowsOf(B, T);
    if (targets !== null && targets.length < rows) {
      throw new Error(`Targets hold ${targets.length} ids; objective "${this.config.objective}" with ${B}×${T} needs ${rows}.`);
    }
    return rows;
  }

  private workspace(B: number, T: number): Workspace {
    const ws = this.work;
    this.lastB = B;
    this.lastT = T;
    if (ws !== null && B <= ws.batch && B * T <= ws.rows) return ws;
    // Grow to cover both the old and the new shape, so alternating shapes settle on one allocation.
    const batch = Math.max(B, ws?.batch ?? 0);
    const rows = Math.max(B * T, ws?.rows ?? 0);
    this.work = this.allocWorkspace(batch, rows, true);
    return this.work;
  }

  private allocWorkspace(batch: number, rows: number, training: boolean): Workspace {
    const { cell, layers: L, hidden: H, embed: E, vocabSize: V, dropout } = this.config;
    const G = GATES[cell] * H;
    const a = (n: number) => this.kernels.alloc(n);
    const dropping = training && dropout > 0;
    const layers: LayerBuffers[] = [];
    for (let l = 0; l < L; l++) {
      const between = dropping && l < L - 1;
      layers.push({
        out: a(rows * H),
        gates: cell === 'rnn' ? null : a(rows * G),
        cells: cell === 'lstm' ? a(rows * H) : null,
        hn: cell === 'gru' ? a(rows * H) : null,
        hPrev: a(rows * H),
        h: a(batch * H),
        c: cell === 'lstm' ? a(batch * H) : null,
        dOut: training ? a(rows * H) : a(0),
        dropMask: between ? a(rows * H) : null,
        dropOut: between ? a(rows * H) : null,
      });
    }
    const tr = (n: number) => (training ? a(n) : a(0));
    const tokenScratch = tokenInputFloats(this.config, V, rows, false);
    const headRows = Math.min(this.chunkRows, this.config.objective === 'next' ? batch : rows);
    return {
      batch, rows,
      emb: a(rows * E),
      dEmb: training ? a(rows * E) : a(1),
      projected: tokenScratch > 0 ? a(tokenScratch) : null,
      dProjected: tokenScratch > 0 && training ? a(tokenScratch) : null,
      input: null,
      layers,
      hh: a(batch * G),
      dGates: tr(rows * G),
      dGatesH: cell === 'gru' ? tr(rows * G) : null,
      dGatesStep: tr(batch * G),
      dh: tr(batch * H),
      dc: tr(batch * H),
      dDrop: dropping && L > 1 ? a(rows * H) : null,
      headRows,
      logits: a(headRows * V),
      probs: a(headRows * V),
      dLogits: tr(headRows * V),
      allLogits: null,
      dLast: tr(batch * H),
      dropped: false,
    };
  }

  /** Embedding and every recurrent layer from zero states (the head is `head`'s or `allLogits`'s). */
  private forward(ws: Workspace, inputs: Int32Array, B: number, T: number, dropoutRng: Rng | null): void {
    const { hidden: H, layers: L } = this.config;
    ws.input = this.firstInput(ws, inputs, B * T);
    let input = ws.input;
    ws.dropped = dropoutRng !== null && L > 1;
    for (let l = 0; l < L; l++) {
      const lb = ws.layers[l];
      lb.h.fill(0, 0, B * H);
      lb.c?.fill(0, 0, B * H);
      this.layerForward(ws, l, input, B, T);
      input = rowsInput(lb.out);
      if (ws.dropped && lb.dropMask !== null) {
        dropoutForward(lb.dropOut!, lb.dropMask, lb.out, this.config.dropout, dropoutRng!, B * T * H);
        input = rowsInput(lb.dropOut!);
      }
    }
  }

  /**
   * The first layer's input for N tokens: the ids themselves when the vocabulary has fewer rows than the
   * batch has tokens (its input products then run over V rows: layer-input.ts), else their embedded rows.
   * Either way with its gradient target, the embedding's.
   */
  private firstInput(ws: Workspace, inputs: Int32Array, N: number): LayerInput {
    const { vocabSize: V, embed: E } = this.config;
    if (ws.projected !== null && firstLayerReadsTokens(V, N)) {
      checkTokenIds(inputs, N, V);
      return {
        kind: 'tokens', ids: inputs, table: this.params, tableOff: this.embOff, rows: V,
        dTable: this.grads, dTableOff: this.embOff, projected: ws.projected, dProjected: ws.dProjected,
      };
    }
    embeddingForward(ws.emb, inputs, this.params, this.embOff, N, E, V);
    return rowsInput(ws.emb, ws.dEmb);
  }

  private layerForward(ws: Workspace, l: number, x: LayerInput, B: number, T: number): void {
    const { embed: E, hidden: H, cell } = this.config;
    const lb = ws.layers[l];
    const I = l === 0 ? E : H;
    const p = this.recurrent[l];
    const k = this.kernels;
    if (cell === 'lstm') lstmForward(lb.out, lb.gates!, lb.cells!, lb.hPrev, ws.hh, lb.h, lb.c!, x, this.params, p, B, T, I, H, k);
    else if (cell === 'gru') gruForward(lb.out, lb.gates!, lb.hn!, lb.hPrev, ws.hh, lb.h, x, this.params, p, B, T, I, H, k);
    else rnnForward(lb.out, lb.hPrev, ws.hh, lb.h, x, this.params, p, B, T, I, H, k);
  }
}

const TRACE_NAMES = { lstm: ['i', 'f', 'g', 'o'], gru: ['r', 'z', 'n'], rnn: [] as string[] };

function recordTrace(trace: GateTrace, l: number, cell: ModelConfig['cell'], lb: LayerBuffers, H: number): void {
  const entry = (trace[l] ??= {});
  const put = (name: string, src: Float32Array, off: number) => {
    const dst = (entry[name] ??= new Float32Array(H));
    dst.set(src.subarray(off, off + H));
  };
  TRACE_NAMES[cell].forEach((name, g) => put(name, lb.gates!, g * H));
  if (cell === 'lstm') put('c', lb.cells!, 0);
  put('h', lb.out, 0);
}

function checkConfig(c: ModelConfig): void {
  const whole = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`Model ${name} must be a whole number of at least 1 (got ${v}).`);
  };
  if (!CELL_KINDS.includes(c.cell)) throw new Error(`Unknown cell "${String(c.cell)}" (known: ${CELL_KINDS.join(', ')}).`);
  if (!OBJECTIVES.includes(c.objective)) throw new Error(`Unknown objective "${String(c.objective)}" (known: ${OBJECTIVES.join(', ')}).`);
  whole(c.layers, 'layers');
  whole(c.vocabSize, 'vocabulary size');
  whole(c.embed, 'embedding size');
  whole(c.hidden, 'hidden size');
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`Dropout must be from 0 to below 1 (got ${c.dropout}).`);
}
