/**
 * What `rnnwb corpus add` shows while a file goes in: on a terminal a bar over the bytes read, then the
 * checking and storing phases; elsewhere (a pipe, a log) one line per phase, and only for files big
 * enough to take a while, so small imports stay quiet.
 */
import cliProgress from 'cli-progress';

/** Below this, a pipe gets no progress lines (the import takes well under a second). */
const QUIET_BELOW_BYTES = 8 * 1024 * 1024;

export type ImportPhase = 'reading' | 'checking' | 'storing';

export interface ImportProgress {
  /** Bytes read so far, of how many. */
  read(done: number, total: number): void;
  phase(phase: ImportPhase): void;
  /** Clears the bar (also after a failure). */
  end(): void;
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export function importProgress(name: string, stream: NodeJS.WriteStream = process.stderr): ImportProgress {
  let total = 0;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: ' {phase} {name} |{bar}| {percentage}% | {done}/{size} MB',
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      read(done, size) {
        total = size;
        if (!started) bar.start(size, 0, { phase: 'reading', name, done: mb(0), size: mb(size) });
        started = true;
        bar.update(done, { done: mb(done) });
      },
      phase(phase) {
        if (started) bar.update({ phase });
      },
      end() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastPhase: ImportPhase | null = null;
  const line = (phase: ImportPhase) => {
    if (total < QUIET_BELOW_BYTES || phase === lastPhase) return;
    lastPhase = phase;
    const what = phase === 'reading' ? `reading ${mb(total)} MB` : phase === 'checking' ? 'checking UTF-8' : 'storing';
    stream.write(`${name}: ${what}…\n`);
  };
  return {
    read(_done, size) {
      total = size;
      line('reading');
    },
    phase: line,
    end() {},
  };
}
