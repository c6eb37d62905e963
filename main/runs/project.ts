/**
 * A run as a portable project, for a cluster the workbench cannot reach, and back again.
 *
 * `exportProject` writes DIR/trainer (the PyTorch engine's .py files), DIR/job.json (the start message
 * without its binaries), DIR/corpus.txt, DIR/start.ckpt (the run's last checkpoint, or the built-in
 * engine's initial weights for its seed) and a README with the lines that run it. Run anywhere with
 * `--project DIR` (engine/pytorch/project.py), the engine appends what it would have told its host to
 * DIR/events.jsonl and writes its checkpoints to DIR/checkpoints.
 *
 * `importProject` brings those back into the run they came from, through the same RunRecorder a live
 * engine's messages go through: the metrics after the run's last stored step, the checkpoints not
 * stored yet, its end. Importing again adds nothing twice; a cut-off line or checkpoint is left out
 * and named.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Hyperparameters } from '../../engine/config.ts';
import { decodeCheckpoint } from '../../engine/format/checkpoint.ts';
import type { EngineMessage } from '../../engine/protocol.ts';
import { Vocabulary } from '../../engine/text/vocab.ts';
import { ApiError, type Id, type ProjectExport, type ProjectImportReport, type RunStatus } from '../api/contract.ts';
import type { Storage } from '../storage/index.ts';
import { initialWeights, PYTORCH_ENGINE_SCRIPT } from './pytorch-launcher.ts';
import { RunRecorder } from './run-recorder.ts';

export const PROJECT_FORMAT = 'rnnwb-project/1';

export interface ProjectJob {
  format: typeof PROJECT_FORMAT;
  run: { id: Id; name: string };
  hyper: Hyperparameters;
  vocab: string[];
  targetSteps: number;
  startStep: number;
  sample: unknown;
  device: string;
  corpus: string;
  resumeFrom?: string;
  initialWeights?: string;
}

/** A folder the UI names on the host's disk: a full path, or ~/… (there is no working folder to be relative to). */
export function hostFolder(dir: string): string {
  const expanded = dir === '~' || dir.startsWith('~/') ? path.join(homedir(), dir.slice(1)) : dir;
  if (!path.isAbsolute(expanded)) throw new ApiError(`"${dir}" is not a full path; give the folder from the top, e.g. ${path.join(homedir(), 'my-project')}.`);
  return path.normalize(expanded);
}

/** The line the README gives for one process (or the CPU), run from inside DIR. */
export const ONE_PROCESS_COMMAND = 'python3 trainer/main.py --project .';

/**
 * Writes the project of run `runId` into `dir` (new or empty, or any folder with `force`: its files of
 * the same names are written over); `steps`: where it should end (default: the run's planned length).
 */
export function exportProject(storage: Storage, runId: Id, dir: string, options: { steps?: number; force?: boolean } = {}): ProjectExport {
  const { steps, force = false } = options;
  const run = storage.runs.require(runId);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new ApiError(`"${dir}" is a file, not a folder; choose a new folder for the project.`);
  if (!force && existsSync(dir) && readdirSync(dir).length > 0) throw new ApiError(`"${dir}" already exists and is not empty; choose a new folder for the project.`);
  const corpus = run.corpusId === null ? null : storage.corpora.bytes(run.corpusId);
  if (corpus === null) throw new ApiError(`Run "${run.name}" has no corpus any more, so it cannot be exported.`);
  const vocab = storage.vocabularies.get(run.vocabularyId)?.chars ?? Vocabulary.fromUtf8(corpus).chars;
  const latest = storage.checkpoints.latest(runId);
  const startStep = latest?.step ?? 0;
  const targetSteps = steps ?? run.totalSteps;
  if (targetSteps <= startStep) throw new ApiError(`Run "${run.name}" is at step ${startStep} already: give --steps above it.`);
  const hyper: Hyperparameters = { ...run.hyper, engine: 'pytorch', processes: 1, nodes: 1, rdzv: '', via: '' };
  const job: ProjectJob = {
    format: PROJECT_FORMAT, run: { id: run.id, name: run.name }, hyper, vocab, targetSteps, startStep,
    sample: run.sample, device: run.hyper.device, corpus: 'corpus.txt',
    ...(latest ? { resumeFrom: 'start.ckpt' } : { initialWeights: 'start.ckpt' }),
  };
  const start = latest ? storage.checkpoints.bytes(latest.id)! : initialWeights(hyper, vocab);
  const readme = projectReadme(run.name, startStep, targetSteps);
  mkdirSync(path.join(dir, 'trainer'), { recursive: true });
  const engineDir = path.dirname(PYTORCH_ENGINE_SCRIPT);
  const trainer = readdirSync(engineDir).filter((f) => f.endsWith('.py')).map((f) => path.join('trainer', f));
  for (const file of trainer) copyFileSync(path.join(engineDir, path.basename(file)), path.join(dir, file));
  writeFileSync(path.join(dir, 'corpus.txt'), corpus);
  writeFileSync(path.join(dir, 'start.ckpt'), start);
  writeFileSync(path.join(dir, 'job.json'), JSON.stringify(job, null, 2) + '\n');
  writeFileSync(path.join(dir, 'README.md'), readme);
  return {
    runId: run.id, name: run.name, dir: path.resolve(dir), startStep, targetSteps,
    files: ['job.json', 'corpus.txt', 'start.ckpt', 'README.md', ...trainer], readme, command: ONE_PROCESS_COMMAND,
  };
}

/** The lines that run the project, from inside DIR. */
export function projectReadme(name: string, from: number, to: number): string {
  return `# Run "${name}": steps ${from + 1}–${to}

Exported by \`rnnwb export-project\`. Needs Python 3.10+ with PyTorch 1.13+ (and NumPy). Run from this folder;
the trainer appends to events.jsonl and writes checkpoints/. Run it again after a crash: it resumes from
its last checkpoint. Bring it home with \`rnnwb import-run DIR\` (again at any time: nothing is added twice).

One GPU (or the CPU):

    ${ONE_PROCESS_COMMAND}

torchrun on one node, N GPUs (one process each):

    torchrun --standalone --nproc_per_node=N trainer/main.py --project .

Debian's torchrun (torch 1.13 on Python 3.11) dies at start; the trainer's launcher has the fix (port 0: a free one):

    python3 trainer/launch.py --nnodes=1 --nproc_per_node=N --rdzv_backend=static --rdzv_endpoint=127.0.0.1:0 --node_rank=0 trainer/main.py --project .

Several nodes: on each of M machines (NODE_RANK 0 on HOST, the one with this folder):

    torchrun --nnodes=M --nproc_per_node=N --rdzv_backend=static --rdzv_endpoint=HOST:29500 --node_rank=NODE_RANK trainer/main.py --project .

Slurm (M nodes, N GPUs each):

    srun --nodes=M --ntasks-per-node=1 --gpus-per-node=N bash -c 'torchrun --nnodes=$SLURM_NNODES --nproc_per_node=N --rdzv_backend=static --rdzv_endpoint=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1):29500 --node_rank=$SLURM_NODEID trainer/main.py --project .'
`;
}

export type ImportReport = ProjectImportReport;

type Msg<T extends EngineMessage['type']> = Extract<EngineMessage, { type: T }>;
type Event = EngineMessage & { file?: string; size?: number; time?: string };

/** Reads DIR back into its run. */
export function importProject(storage: Storage, dir: string): ImportReport {
  const job = readJob(dir);
  const run = storage.runs.get(job.run.id)?.name === job.run.name ? storage.runs.get(job.run.id)! : storage.runs.getByName(job.run.name);
  if (!run) throw new ApiError(`This project belongs to run "${job.run.name}" (id ${job.run.id}), which this workbench does not have.`);
  const missing: string[] = [];
  const events = readEvents(dir, missing);
  let lastStep = storage.metrics.last(run.id)?.step ?? 0;
  const stored = storage.checkpoints.list(run.id);
  const storedMax = stored.reduce((max, c) => Math.max(max, c.step), 0);
  const has = (step: number, kind: string) => stored.some((c) => c.step === step && c.kind === kind);
  let failed: unknown = null;
  const recorder = new RunRecorder(storage, run.id, {
    flushMs: 1e9, flushRows: Number.MAX_SAFE_INTEGER, tell: () => {},
    onWriteFailed: (what, error) => (failed ??= new Error(`Could not store ${what}: ${(error as Error).message}`)),
  });
  let progressAdded = 0;
  let checkpointsAdded = 0;
  let ended: RunStatus | null = null;
  let reason: string | null = null;
  const rows: Parameters<Storage['recordProgress']>[1][number][] = [];
  const flush = () => storage.recordProgress(run.id, rows.splice(0));
  for (const event of events) {
    if (event.type === 'ready') {
      recorder.ready(event, event.threads);
    } else if (event.type === 'progress' && event.step > lastStep) {
      const { type: _type, ...metric } = event as Msg<'progress'> & { time?: string; file?: string; size?: number };
      delete metric.time;
      rows.push({ runId: run.id, ...metric, wallTime: event.time });
      lastStep = event.step;
      progressAdded++;
    } else if (event.type === 'checkpoint' && event.step >= storedMax && !has(event.step, event.kind)) {
      const bytes = checkpointFile(dir, event, missing);
      if (!bytes) continue;
      flush();
      recorder.checkpoint({ ...(event as Msg<'checkpoint'>), bytes });
      checkpointsAdded++;
    } else if (event.type === 'done') {
      ended = event.status === 'stopped' ? 'stopped' : 'done';
      reason = null;
    } else if (event.type === 'error') {
      ended = /stopped answering|interrupted/.test(event.message) ? 'interrupted' : 'failed';
      reason = event.message;
    }
  }
  flush();
  if (failed) throw failed;
  if (ended === null && events.length > 0) {
    missing.push('No line says how the run ended: a process may have died. Run the project again (it resumes from its last checkpoint), then import it again.');
  }
  if (ended !== null && (progressAdded > 0 || checkpointsAdded > 0 || run.status !== ended)) storage.runs.setStatus(run.id, ended, reason);
  return { runId: run.id, name: run.name, progressAdded, checkpointsAdded, ended, missing };
}

function readJob(dir: string): ProjectJob {
  const file = path.join(dir, 'job.json');
  let job: ProjectJob;
  try {
    job = JSON.parse(readFileSync(file, 'utf8')) as ProjectJob;
  } catch (error) {
    throw new ApiError(`"${dir}" is not an exported project: ${file} cannot be read (${(error as Error).message}).`);
  }
  if (job.format !== PROJECT_FORMAT || typeof job.run?.name !== 'string') throw new ApiError(`${file} is not a ${PROJECT_FORMAT} job.`);
  return job;
}

/** The complete lines of events.jsonl; a cut-off or unreadable line is named in `missing`. */
function readEvents(dir: string, missing: string[]): Event[] {
  const file = path.join(dir, 'events.jsonl');
  if (!existsSync(file)) {
    missing.push('There is no events.jsonl: the project has not run yet.');
    return [];
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  const tail = lines.pop()!;
  if (tail !== '') missing.push(`The last line of events.jsonl is cut off (${Buffer.byteLength(tail)} bytes without an end): left out.`);
  const events: Event[] = [];
  lines.forEach((line, i) => {
    try {
      events.push(JSON.parse(line, (_key, value: unknown) => isFloat(value) ? Number(value.$float) : value) as Event);
    } catch {
      missing.push(`Line ${i + 1} of events.jsonl is not JSON: left out.`);
    }
  });
  return events;
}

const isFloat = (v: unknown): v is { $float: string } =>
  typeof v === 'object' && v !== null && Object.keys(v).length === 1 && ['NaN', 'Infinity', '-Infinity'].includes((v as { $float?: string }).$float ?? '');

/** A checkpoint's file when it is whole and loads; otherwise null, and a sentence in `missing`. */
function checkpointFile(dir: string, event: Event & { step: number }, missing: string[]): Uint8Array | null {
  const name = event.file ?? '(no file named)';
  const file = path.join(dir, name);
  if (!event.file || !existsSync(file)) {
    missing.push(`The checkpoint of step ${event.step} (${name}) is missing: left out.`);
    return null;
  }
  const size = statSync(file).size;
  if (size !== event.size) {
    missing.push(`The checkpoint of step ${event.step} (${name}) is cut off (${size} of ${event.size} bytes): left out.`);
    return null;
  }
  const bytes = new Uint8Array(readFileSync(file));
  try {
    decodeCheckpoint(bytes);
  } catch (error) {
    missing.push(`The checkpoint of step ${event.step} (${name}) does not load (${(error as Error).message}): left out.`);
    return null;
  }
  return bytes;
}
