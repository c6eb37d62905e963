/** What deleting a set of runs would also delete, counted for a confirmation that names it. */
import type { Database, Statement } from 'better-sqlite3';
import type { DeleteImpact, Id } from './types.ts';

export class ImpactCounter {
  private readonly runsOf: Statement<[string], { id: Id; name: string }>;
  private readonly counts: Statement<[string, string, string], { checkpoints: number; samples: number; metrics: number }>;

  constructor(db: Database) {
    // Ids travel as one JSON array so a single prepared statement serves any number of runs.
    this.runsOf = db.prepare('SELECT id, name FROM runs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id');
    this.counts = db.prepare(`
      SELECT
        (SELECT count(*) FROM checkpoints WHERE run_id IN (SELECT value FROM json_each(?))) AS checkpoints,
        (SELECT count(*) FROM samples WHERE run_id IN (SELECT value FROM json_each(?))) AS samples,
        (SELECT count(*) FROM metrics WHERE run_id IN (SELECT value FROM json_each(?))) AS metrics`);
  }

  of(runIds: readonly Id[]): DeleteImpact {
    const ids = JSON.stringify(runIds);
    const runs = this.runsOf.all(ids);
    const { checkpoints, samples, metrics } = this.counts.get(ids, ids, ids)!;
    return { runs, checkpoints, samples, metrics };
  }
}

/** "3 runs (a, b, c)" — at most `max` names, then "and N more". */
export function nameRuns(runs: readonly { name: string }[], max = 5): string {
  const names = runs.slice(0, max).map((r) => `"${r.name}"`).join(', ');
  const more = runs.length > max ? ` and ${runs.length - max} more` : '';
  return `${runs.length} run${runs.length === 1 ? '' : 's'} (${names}${more})`;
}
