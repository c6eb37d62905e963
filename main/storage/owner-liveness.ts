/**
 * Is the process that owns a run still there? On this machine the owner's pid says so: a live pid is
 * a live owner, however long it has been silent (a host stopped with SIGSTOP or in a debugger keeps
 * its runs). A stale heartbeat only counts for owners on other machines, whose pids mean nothing here.
 * Pid reuse is caught cheaply on Linux: a process that started after the owner's last heartbeat
 * cannot be the owner.
 */
import { readFileSync } from 'node:fs';
import type { Id, RunRecord } from './types.ts';

/** Signal 0 checks existence without touching the process; EPERM means it exists but is not ours. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux's fixed user-visible clock tick (USER_HZ), the unit of start times in /proc/PID/stat. */
const USER_HZ = 100;

/** When a process started (ms since the epoch, to about a second), or null where /proc cannot tell. */
export function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[22 - 3]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(startTicks) || !Number.isFinite(bootSeconds)) return null;
    return (bootSeconds + startTicks / USER_HZ) * 1000;
  } catch {
    return null;
  }
}

/** Start times are whole boot seconds plus ticks; allow for that rounding before calling a pid reused. */
const START_TIME_SLACK_MS = 2000;

export interface LivenessProbe {
  hostId: string;
  now: number;
  staleMs: number;
  isAlive?: (pid: number) => boolean;
  startedAt?: (pid: number) => number | null;
  /**
   * The asking process, when it trains runs itself: a run stamped with its own pid that it no longer
   * holds was left by an earlier process that had this pid (or by a run manager of it that has shut down).
   */
  self?: { pid: number; holds: (runId: Id) => boolean };
}

/**
 * Why the owner of a run that is running (or paused and owned) is gone, or null while it may still be
 * there. The one place that decides liveness: storage (markInterruptedIfOwnerDead) and the run manager
 * (deletions, start-up, its heartbeat tick) all ask here.
 */
export function whyOwnerIsGone(run: RunRecord, probe: LivenessProbe): string | null {
  if (run.ownerPid === null) {
    // A paused run nobody owns was parked on purpose; a running one was left by a host that closed.
    return run.status === 'paused' ? null : 'No process owns it (its host closed without finishing it).';
  }
  const beat = run.heartbeatAt === null ? Number.NaN : Date.parse(run.heartbeatAt);
  if (run.ownerHostId === probe.hostId) {
    if (probe.self && run.ownerPid === probe.self.pid) {
      return probe.self.holds(run.id) ? null : 'The process that trained it ended without finishing it.';
    }
    if (!(probe.isAlive ?? isPidAlive)(run.ownerPid)) {
      return `The process training it (pid ${run.ownerPid}) ended without finishing the run.`;
    }
    const started = (probe.startedAt ?? processStartMs)(run.ownerPid);
    if (started !== null && !Number.isNaN(beat) && started > beat + START_TIME_SLACK_MS) {
      return `The process training it (pid ${run.ownerPid}) ended without finishing the run; that pid now belongs to another process.`;
    }
    return null;
  }
  if (Number.isNaN(beat)) return `Its host on ${run.ownerHostId ?? 'another machine'} (pid ${run.ownerPid}) never reported a heartbeat.`;
  const silentMs = probe.now - beat;
  if (silentMs > probe.staleMs) {
    const where = run.ownerHostId ? ` on ${run.ownerHostId}` : '';
    return `Its host${where} (pid ${run.ownerPid}) sent no heartbeat for ${Math.round(silentMs / 1000)} s.`;
  }
  return null;
}
