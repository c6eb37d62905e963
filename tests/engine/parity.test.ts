/**
 * PyTorch parity: every fixture in the parity folder (see its README), both heads, every kernel path.
 * Forward values, loss and every gradient by name; Adam strictly (fixture gradients → our Adam) and
 * end to end (3 steps on our own gradients).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CellKind, ModelConfig, Objective } from '../../engine/config.ts';
import type { ParamLayout } from '../../engine/core/params.ts';
import { Model } from '../../engine/model.ts';
import { Adam } from '../../engine/optim/adam.ts';
import { kernelPathsUnderTest } from './kernel-paths.ts';
import { ADAM_E2E, ADAM_STRICT, FORWARD } from './tolerances.ts';

interface Tensor { shape: number[]; data: number[] }
interface HeadResult {
  loss: number;
  logits: Tensor;
  rnn_output: Tensor;
  h_n: Tensor;
  c_n?: Tensor;
  grads: Record<string, Tensor>;
  adam: {
    lr: number; betas: [number, number]; eps: number; weight_decay: number; steps: number;
    loss_before_each_step: number[];
    params_after_each_step: Record<string, Tensor>[];
    params_after_3_steps: Record<string, Tensor>;
  };
}
interface Fixture {
  meta: { cell: string; num_layers: number; vocab: number; embed: number; hidden: number; seq_length: number; batch: number };
  params: Record<string, Tensor>;
  inputs: Tensor;
  targets_many_to_one: Tensor;
  targets_many_to_many: Tensor;
  many_to_one: HeadResult;
  many_to_many: HeadResult;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtureDir = process.env.PARITY_FIXTURES_DIR
  ? path.resolve(process.cwd(), process.env.PARITY_FIXTURES_DIR)
  : path.resolve(repoRoot, '../shared/fixtures/parity');
const fixtureFiles = existsSync(fixtureDir) ? readdirSync(fixtureDir).filter((f) => f.endsWith('.json')).sort() : [];


/** null when every element is within atol + rtol·|ref|; else a message naming the worst element. */
function mismatch(name: string, ours: ArrayLike<number>, ref: Tensor | number[], tol: { atol: number; rtol: number }): string | null {
  const data = Array.isArray(ref) ? ref : ref.data;
  if (ours.length !== data.length) return `${name}: ${ours.length} values, the reference has ${data.length}`;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < data.length; i++) {
    const diff = Math.abs(ours[i] - data[i]);
    const excess = diff / (tol.atol + tol.rtol * Math.abs(data[i]));
    if (!(excess <= 1) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst < 0) return null;
  const allowed = tol.atol + tol.rtol * Math.abs(data[worst]);
  return `${name}[${worst}]: ours ${ours[worst]}, PyTorch ${data[worst]}, |diff| ${Math.abs(ours[worst] - data[worst]).toExponential(3)} > allowed ${allowed.toExponential(3)}`;
}

function expectAllClose(checks: (string | null)[]): void {
  const failures = checks.filter((c): c is string => c !== null);
  expect(failures, failures.join('\n')).toEqual([]);
}

/** Fixture names call the recurrent module `rnn` whatever the cell; ours are `<cell>.*`. */
function engineName(fixtureName: string, cell: string): string {
  return fixtureName.startsWith('rnn.') ? `${cell}.${fixtureName.slice(4)}` : fixtureName;
}

/** A flat array in our layout from named fixture tensors; every tensor must be present with the right size. */
function flatten(layout: ParamLayout, tensors: Record<string, Tensor>, cell: string, into: Float32Array): void {
  const seen = new Set<string>();
  for (const [name, t] of Object.entries(tensors)) {
    const ours = engineName(name, cell);
    const spec = layout.get(ours);
    if (spec.size !== t.data.length) throw new Error(`${name}: ${t.data.length} values, our ${ours} has ${spec.size}`);
    into.set(t.data, spec.offset);
    seen.add(ours);
  }
  const missing = layout.specs.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length > 0) throw new Error(`The fixture lacks ${missing.join(', ')}`);
}

/** Per-tensor comparison of a flat array in our layout against named fixture tensors. */
function compareByName(label: string, layout: ParamLayout, flat: Float32Array, tensors: Record<string, Tensor>, cell: string, tol: { atol: number; rtol: number }): (string | null)[] {
  return Object.entries(tensors).map(([name, t]) => {
    const ours = engineName(name, cell);
    return mismatch(`${label} ${ours}`, layout.view(flat, ours), t, tol);
  });
}

const kernelList = await kernelPathsUnderTest();

describe('parity fixtures', () => {
  it(`the fixture folder holds at least one case (${fixtureDir})`, () => {
    expect(fixtureFiles.length, `No *.json fixtures in ${fixtureDir}`).toBeGreaterThan(0);
  });
});

for (const kernels of kernelList) {
  for (const file of fixtureFiles) {
    const fx = JSON.parse(readFileSync(path.join(fixtureDir, file), 'utf8')) as Fixture;
    const m = fx.meta;
    const heads: [keyof Pick<Fixture, 'many_to_one' | 'many_to_many'>, Objective, Tensor][] = [
      ['many_to_one', 'next', fx.targets_many_to_one],
      ['many_to_many', 'every', fx.targets_many_to_many],
    ];
    for (const [head, objective, targetTensor] of heads) {
      const ref = fx[head];
      const B = m.batch;
      const T = m.seq_length;
      const inputs = Int32Array.from(fx.inputs.data);
      const targets = Int32Array.from(targetTensor.data);
      const config: ModelConfig = {
        cell: m.cell as CellKind, layers: m.num_layers, vocabSize: m.vocab, embed: m.embed, hidden: m.hidden,
        window: T, objective, dropout: 0,
      };
      const fresh = (): Model => {
        const model = new Model(config, kernels);
        flatten(model.layout, fx.params, m.cell, model.params);
        return model;
      };
      const name = (what: string) => `${file} ${head} ${what} [${kernels.path}]`;

      it(name('forward: loss, logits, rnn_output, h_n, c_n'), () => {
        const model = fresh();
        model.zeroGrads();
        const result = model.forwardBackward(inputs, targets, B, T, null);
        const view = model.lastForward();
        const L = m.num_layers;
        const stack = (per: Float32Array[]) => {
          const all = new Float32Array(L * B * m.hidden);
          per.forEach((a, l) => all.set(a, l * B * m.hidden));
          return all;
        };
        const checks = [
          mismatch('loss', [result.loss], [ref.loss], FORWARD),
          mismatch('logits', view.logits, ref.logits, FORWARD),
          mismatch('rnn_output', view.output, ref.rnn_output, FORWARD),
          mismatch('h_n', stack(view.hN), ref.h_n, FORWARD),
        ];
        if (ref.c_n) checks.push(view.cN ? mismatch('c_n', stack(view.cN), ref.c_n, FORWARD) : 'c_n: the model has no cell state');
        expect(result.count).toBe(objective === 'next' ? B : B * T);
        expectAllClose(checks);
        // evaluate() and logits() are the same forward without the backward
        expect(model.evaluate(inputs, targets, B, T).loss).toBe(result.loss);
        expectAllClose([mismatch('logits()', model.logits(inputs, B, T), ref.logits, FORWARD)]);
      });

      it(name('gradients'), () => {
        const model = fresh();
        model.zeroGrads();
        model.forwardBackward(inputs, targets, B, T, null);
        expectAllClose(compareByName('grad', model.layout, model.grads, ref.grads, m.cell, FORWARD));
      });

      it(name('adam strict (fixture gradients)'), () => {
        const model = fresh();
        flatten(model.layout, ref.grads, m.cell, model.grads);
        const adam = new Adam(model.layout.total, ref.adam.weight_decay, ref.adam.betas[0], ref.adam.betas[1], ref.adam.eps, model.kernels);
        adam.step(model.params, model.grads, ref.adam.lr);
        expectAllClose(compareByName('after step 1', model.layout, model.params, ref.adam.params_after_each_step[0], m.cell, ADAM_STRICT));
      });

      it(name('adam end to end (3 steps, own gradients)'), () => {
        const model = fresh();
        const adam = new Adam(model.layout.total, ref.adam.weight_decay, ref.adam.betas[0], ref.adam.betas[1], ref.adam.eps, model.kernels);
        const checks: (string | null)[] = [];
        for (let s = 0; s < ref.adam.steps; s++) {
          model.zeroGrads();
          const { loss } = model.forwardBackward(inputs, targets, B, T, null);
          checks.push(mismatch(`loss before step ${s + 1}`, [loss], [ref.adam.loss_before_each_step[s]], FORWARD));
          adam.step(model.params, model.grads, ref.adam.lr);
          checks.push(...compareByName(`after step ${s + 1}`, model.layout, model.params, ref.adam.params_after_each_step[s], m.cell, ADAM_E2E));
        }
        checks.push(...compareByName('after 3 steps', model.layout, model.params, ref.adam.params_after_3_steps, m.cell, ADAM_E2E));
        expectAllClose(checks);
      });
    }
  }
}
