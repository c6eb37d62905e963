/**
 * Two workbench services on one database file, as the app and the CLI share one: a run the second
 * creates, trains and deletes is told to the first one's listeners as created, status, progress and
 * deleted events, without a reload; and the first does not train it.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../main/api/contract.ts';
import { createWorkbenchService, type WorkbenchService } from '../../main/api/service.ts';
import { nextRunEvent, openSeededStorage } from './run-helpers.ts';

let dir: string;
let dbPath: string;
let corpusId: number;
const services: WorkbenchService[] = [];

beforeEach(() => {
  const seeded = openSeededStorage('service-foreign-');
  ({ dir, dbPath, corpusId } = seeded);
  seeded.storage.close();
});

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): WorkbenchService {
  const service = createWorkbenchService({ dbPath, concurrency: 1 });
  services.push(service);
  return service;
}

describe('runs changed by another process on the same database', () => {
  it('reach this process\'s listeners as created, status, progress and deleted events', async () => {
    const app = open();
    const cli = open();
    const heard: RunEvent[] = [];
    app.onRunEvent((event) => heard.push(event));

    const created = nextRunEvent(app, (e) => e.type === 'created');
    const done = nextRunEvent(app, (e) => e.type === 'status' && e.status === 'done');
    const run = await cli.createRun({ corpusId, preset: 'reference', name: 'from-the-cli', hyper: { hidden: 8, embed: 4, steps: 300 } });
    expect(await created).toEqual({ type: 'created', runId: run.id });
    expect(await done).toMatchObject({ runId: run.id, status: 'done' });
    expect(app.runs.isActive(run.id)).toBe(false);

    const progress = heard.filter((e) => e.type === 'progress' && e.runId === run.id);
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!;
    expect(last.type === 'progress' && last.metric.totalSteps).toBe(300);

    const deleted = nextRunEvent(app, (e) => e.type === 'deleted');
    await cli.deleteRun(run.id);
    expect(await deleted).toEqual({ type: 'deleted', runId: run.id });
    // Each change is told once: one created event for the run.
    expect(heard.filter((e) => e.type === 'created' && e.runId === run.id)).toHaveLength(1);
  });

  it('does not tell a process its own runs twice', async () => {
    const app = open();
    const other = open();
    const heard: RunEvent[] = [];
    app.onRunEvent((event) => heard.push(event));
    const run = await app.createRun({ corpusId, preset: 'reference', name: 'own', hyper: { hidden: 8, embed: 4, steps: 20 } });
    await app.runs.whenSettled(run.id);
    // Another process commits, so the watcher compares again and finds this process's run as it knew it.
    const otherRun = await other.createRun({ corpusId, preset: 'reference', name: 'other', hyper: { hidden: 8, embed: 4, steps: 5 } });
    await nextRunEvent(app, (e) => e.type === 'created' && e.runId === otherRun.id);
    expect(heard.filter((e) => e.type === 'created' && e.runId === run.id)).toHaveLength(1);
    expect(heard.filter((e) => e.type === 'status' && e.runId === run.id && e.status === 'done')).toHaveLength(1);
  });
});
