/**
 * The start page's one-click starts: store a bundled sample corpus (once), train on it, then open the
 * view that shows the result — the playground on "Hello, RNN", Training for the Tang poems, Compare
 * for an LSTM beside a GRU. Progress is read from the workbench's live run list.
 */
import type { CorpusSummary, Id, RunStatus, RunSummary } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { compareState } from './compare.svelte.ts';
import { t } from './i18n.svelte.ts';
import { playground } from './playground.svelte.ts';
import { LIVE_STATUSES, workbench } from './workbench.svelte.ts';

export type QuickStartId = 'reference' | 'tang' | 'compare';

/** The text the reference script predicts from. */
export const REFERENCE_PROMPT = 'Hello, RNN';

/** Resolves when the run has ended (done, stopped, failed or interrupted), with how it ended. */
export function runEnded(runId: Id): Promise<{ status: RunStatus; reason: string | null }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (status: RunStatus, reason: string | null) => {
      if (settled || LIVE_STATUSES.includes(status)) return;
      settled = true;
      unsubscribe();
      resolve({ status, reason });
    };
    const unsubscribe = api.onRunEvent((event) => {
      if (event.type === 'status' && event.runId === runId) finish(event.status, event.reason);
    });
    // It may have ended before the subscription started.
    void api.getRun(runId).then((run) => finish(run.status, run.reason), () => {});
  });
}

class QuickStart {
  busy = $state<QuickStartId | null>(null);
  /** The runs the current start waits for, shown with their progress. */
  waitingFor = $state<Id[]>([]);
  storing = $state(false);
  error = $state<string | null>(null);

  async start(id: QuickStartId): Promise<void> {
    if (this.busy) return;
    this.busy = id;
    this.error = null;
    try {
      if (id === 'reference') await this.#reference();
      else if (id === 'tang') await this.#tang();
      else await this.#lstmVsGru();
    } catch (error) {
      this.error = error instanceof RunEndedError ? error.message : messageOf(error);
    } finally {
      this.busy = null;
      this.waitingFor = [];
      this.storing = false;
    }
  }

  async #sample(sampleId: string): Promise<CorpusSummary> {
    this.storing = true;
    try {
      const corpus = await api.addSampleCorpus(sampleId);
      await workbench.refreshCorpora();
      return corpus;
    } finally {
      this.storing = false;
    }
  }

  async #train(runs: RunSummary[]): Promise<void> {
    this.waitingFor = runs.map((run) => run.id);
    await workbench.refreshRuns();
    const ends = await Promise.all(runs.map((run) => runEnded(run.id)));
    await workbench.refreshRuns();
    ends.forEach((end, i) => {
      if (end.status !== 'done') throw new RunEndedError(runs[i].name, end.status, end.reason);
    });
  }

  async #reference(): Promise<void> {
    const corpus = await this.#sample('hello-rnn');
    const run = await api.createRun({ corpusId: corpus.id, preset: 'reference' });
    await this.#train([run]);
    playground.text = REFERENCE_PROMPT;
    workbench.playgroundRun = run.id;
    workbench.view = 'playground';
  }

  async #tang(): Promise<void> {
    const corpus = await this.#sample('tang300');
    // A one-layer GRU of the small char-rnn size: it learns the poems' line shape within minutes.
    await api.createRun({ corpusId: corpus.id, preset: 'char-rnn-small', hyper: { cell: 'gru', layers: 1, epochs: 20 } });
    await workbench.refreshRuns();
    workbench.view = 'training';
  }

  async #lstmVsGru(): Promise<void> {
    const corpus = await this.#sample('hello-rnn');
    const lstm = await api.createRun({ corpusId: corpus.id, preset: 'reference', hyper: { cell: 'lstm' } });
    const gru = await api.createRun({ corpusId: corpus.id, preset: 'reference', hyper: { cell: 'gru' } });
    await this.#train([lstm, gru]);
    compareState.selection = [];
    compareState.toggle(lstm.id, true, lstm.name);
    compareState.toggle(gru.id, true, gru.name);
    workbench.view = 'compare';
    await compareState.compare();
  }
}

class RunEndedError extends Error {
  constructor(name: string, status: RunStatus, reason: string | null) {
    super(t('start.runEnded', { name, status: t(`status.${status}`), reason: reason ?? '' }));
  }
}

export const quickStart = new QuickStart();
