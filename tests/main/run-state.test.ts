/**
 * The run state machine of main/runs/run-state.ts as a table: every state against every input, and
 * every state against every way an engine can end. Pure functions, so no processes; the run manager
 * tests drive the same transitions with real engines.
 */
import { describe, expect, it } from 'vitest';
import type { EngineExit, ExitReason } from '../../main/runs/engine-process.ts';
import { exitOutcome, holdsSlot, isEnding, nextState, PARKED_REASON, type ExitOutcome, type RunInput, type RunState } from '../../main/runs/run-state.ts';

const running: RunState = { kind: 'running' };
const paused: RunState = { kind: 'paused' };
const waiting: RunState = { kind: 'waiting-to-resume' };
const resuming: RunState = { kind: 'resuming' };
const stopping: RunState = { kind: 'stopping', park: false, reason: null };
const stoppingAsked: RunState = { kind: 'stopping', park: false, reason: 'asked' };
const parkingAtQuit: RunState = { kind: 'stopping', park: true, reason: null };
const failing: RunState = { kind: 'failing', reason: 'disk full' };
const parking: RunState = { kind: 'parking', reason: 'disk full elsewhere' };
const deleted: RunState = { kind: 'deleted' };

const STATES: Record<string, RunState> = { running, paused, waiting, resuming, stopping, stoppingAsked, parkingAtQuit, failing, parking, deleted };

const INPUTS: Record<string, RunInput> = {
  pause: { type: 'pause' },
  resumeFree: { type: 'resume', slotFree: true },
  resumeFull: { type: 'resume', slotFree: false },
  slotFree: { type: 'slot-free' },
  stop: { type: 'stop', reason: null },
  stopAsked: { type: 'stop', reason: 'asked' },
  shutdown: { type: 'shutdown', park: false },
  shutdownPark: { type: 'shutdown', park: true },
  writeFailed: { type: 'write-failed', reason: 'disk full' },
  diskFull: { type: 'disk-full', reason: 'disk full elsewhere' },
  deleted: { type: 'deleted' },
  enginePaused: { type: 'engine-paused' },
  engineResumed: { type: 'engine-resumed' },
};

/** Rows: states; columns: inputs; each cell the name of the state that follows (the table as a person reads it). */
const TABLE: Record<string, Record<keyof typeof INPUTS, string>> = {
  running: {
    pause: 'running', resumeFree: 'running', resumeFull: 'running', slotFree: 'running', stop: 'stopping', stopAsked: 'stoppingAsked',
    shutdown: 'stopping', shutdownPark: 'parkingAtQuit', writeFailed: 'failing', diskFull: 'parking', deleted: 'deleted',
    enginePaused: 'paused', engineResumed: 'running',
  },
  paused: {
    pause: 'paused', resumeFree: 'resuming', resumeFull: 'waiting', slotFree: 'paused', stop: 'stopping', stopAsked: 'stoppingAsked',
    shutdown: 'stopping', shutdownPark: 'parkingAtQuit', writeFailed: 'failing', diskFull: 'parking', deleted: 'deleted',
    enginePaused: 'paused', engineResumed: 'running',
  },
  waiting: {
    pause: 'paused', resumeFree: 'waiting', resumeFull: 'waiting', slotFree: 'resuming', stop: 'stopping', stopAsked: 'stoppingAsked',
    shutdown: 'stopping', shutdownPark: 'parkingAtQuit', writeFailed: 'failing', diskFull: 'parking', deleted: 'deleted',
    enginePaused: 'waiting', engineResumed: 'running',
  },
  resuming: {
    pause: 'resuming', resumeFree: 'resuming', resumeFull: 'resuming', slotFree: 'resuming', stop: 'stopping', stopAsked: 'stoppingAsked',
    shutdown: 'stopping', shutdownPark: 'parkingAtQuit', writeFailed: 'failing', diskFull: 'parking', deleted: 'deleted',
    enginePaused: 'paused', engineResumed: 'running',
  },
  // A second stop keeps the first one's reason; a shutdown decides whether it parks.
  stopping: {
    pause: 'stopping', resumeFree: 'stopping', resumeFull: 'stopping', slotFree: 'stopping', stop: 'stopping', stopAsked: 'stopping',
    shutdown: 'stopping', shutdownPark: 'parkingAtQuit', writeFailed: 'failing', diskFull: 'parking', deleted: 'deleted',
    enginePaused: 'stopping', engineResumed: 'stopping',
  },
  stoppingAsked: {
    pause: 'stoppingAsked', resumeFree: 'stoppingAsked', resumeFull: 'stoppingAsked', slotFree: 'stoppingAsked', stop: 'stoppingAsked',
    stopAsked: 'stoppingAsked', shutdown: 'stoppingAsked', shutdownPark: 'stoppingAskedPark', writeFailed: 'failing', diskFull: 'parking',
    deleted: 'deleted', enginePaused: 'stoppingAsked', engineResumed: 'stoppingAsked',
  },
  parkingAtQuit: {
    pause: 'parkingAtQuit', resumeFree: 'parkingAtQuit', resumeFull: 'parkingAtQuit', slotFree: 'parkingAtQuit', stop: 'parkingAtQuit',
    stopAsked: 'parkingAtQuit', shutdown: 'stopping', shutdownPark: 'parkingAtQuit', writeFailed: 'failing', diskFull: 'parking',
    deleted: 'deleted', enginePaused: 'parkingAtQuit', engineResumed: 'parkingAtQuit',
  },
  // Ending states stay as they are; only a deletion overrides them.
  failing: {
    pause: 'failing', resumeFree: 'failing', resumeFull: 'failing', slotFree: 'failing', stop: 'failing', stopAsked: 'failing',
    shutdown: 'failing', shutdownPark: 'failing', writeFailed: 'failing', diskFull: 'failing', deleted: 'deleted',
    enginePaused: 'failing', engineResumed: 'failing',
  },
  parking: {
    pause: 'parking', resumeFree: 'parking', resumeFull: 'parking', slotFree: 'parking', stop: 'parking', stopAsked: 'parking',
    shutdown: 'parking', shutdownPark: 'parking', writeFailed: 'parking', diskFull: 'parking', deleted: 'deleted',
    enginePaused: 'parking', engineResumed: 'parking',
  },
  deleted: {
    pause: 'deleted', resumeFree: 'deleted', resumeFull: 'deleted', slotFree: 'deleted', stop: 'deleted', stopAsked: 'deleted',
    shutdown: 'deleted', shutdownPark: 'deleted', writeFailed: 'deleted', diskFull: 'deleted', deleted: 'deleted',
    enginePaused: 'deleted', engineResumed: 'deleted',
  },
};

const NAMED: Record<string, RunState> = { ...STATES, stoppingAskedPark: { kind: 'stopping', park: true, reason: 'asked' } };

describe('nextState', () => {
  for (const [stateName, state] of Object.entries(STATES)) {
    it(`from ${stateName}`, () => {
      for (const [inputName, input] of Object.entries(INPUTS)) {
        const expected = NAMED[TABLE[stateName][inputName]];
        expect(nextState(state, input), `${stateName} + ${inputName}`).toEqual(expected);
      }
    });
  }

  it('the table covers every state and every input', () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(STATES).sort());
    for (const row of Object.values(TABLE)) expect(Object.keys(row).sort()).toEqual(Object.keys(INPUTS).sort());
  });

  it('counts toward the concurrency limit only what trains, is about to, or is finishing', () => {
    const slots = Object.entries(STATES).filter(([, s]) => holdsSlot(s)).map(([name]) => name);
    expect(slots.sort()).toEqual(['parkingAtQuit', 'resuming', 'running', 'stopping', 'stoppingAsked']);
    const ending = Object.entries(STATES).filter(([, s]) => isEnding(s)).map(([name]) => name);
    expect(ending.sort()).toEqual(['deleted', 'failing', 'parking']);
  });
});

const exit = (reason: ExitReason, extra: Partial<EngineExit> = {}): EngineExit => ({
  reason, code: 0, signal: null, step: 30, message: `the ${reason} sentence`, endedBy: reason === 'done' ? 'steps' : null, ...extra,
});

describe('exitOutcome', () => {
  const finish = (status: string, reason: string | null): ExitOutcome => ({ kind: 'finish', status: status as never, reason });

  it('takes early stopping from the exit\'s field, never from its sentence', () => {
    const early = exit('done', { endedBy: 'early-stop', message: 'Finished at step 30 (early stop: the validation loss stopped improving).' });
    expect(exitOutcome(running, early, 30)).toEqual(finish('done', early.message));
    // A sentence that speaks of an early stop does not make one: the field says the run ran its steps.
    const wordy = exit('done', { endedBy: 'steps', message: 'Finished at step 30 (no early stop needed).' });
    expect(exitOutcome(running, wordy, 30)).toEqual(finish('done', null));
  });

  it('ends each state as its exit says', () => {
    const cases: [RunState, EngineExit, number | null, ExitOutcome][] = [
      [running, exit('done'), 30, finish('done', null)],
      [running, exit('stopped'), 30, finish('stopped', 'the stopped sentence')],
      [running, exit('killed'), 30, finish('failed', 'the killed sentence')],
      [running, exit('crashed'), 30, finish('failed', 'the crashed sentence')],
      [paused, exit('error'), 30, finish('failed', 'the error sentence')],
      [stopping, exit('stopped'), 30, finish('stopped', null)],
      [stopping, exit('killed'), 30, finish('stopped', 'the killed sentence')],
      [stoppingAsked, exit('stopped'), 30, finish('stopped', 'asked')],
      [stoppingAsked, exit('killed'), 30, finish('stopped', 'asked')],
      [stopping, exit('done'), 30, finish('done', null)],
      [parkingAtQuit, exit('stopped'), 30, { kind: 'park', reason: PARKED_REASON }],
      [parkingAtQuit, exit('killed'), 20, { kind: 'park', reason: `${PARKED_REASON} (It did not stop in time; it resumes from step 20.)` }],
      // Killed before its first checkpoint: nothing to resume from, so it is stopped.
      [parkingAtQuit, exit('killed'), null, finish('stopped', 'the killed sentence')],
      [parkingAtQuit, exit('crashed'), 30, finish('failed', 'the crashed sentence')],
      [failing, exit('killed'), 30, finish('failed', 'disk full')],
      [failing, exit('done'), 30, finish('failed', 'disk full')],
      [parking, exit('killed'), 30, { kind: 'park', reason: 'disk full elsewhere' }],
      // It finished before the kill arrived.
      [parking, exit('done'), 30, finish('done', null)],
      [deleted, exit('killed'), 30, { kind: 'forget' }],
    ];
    for (const [state, how, latest, expected] of cases) {
      expect(exitOutcome(state, how, latest), `${JSON.stringify(state)} + ${how.reason}`).toEqual(expected);
    }
  });
});
