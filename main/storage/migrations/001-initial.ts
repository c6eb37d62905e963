/**
 * Schema version 1: corpora, vocabularies, sweeps, runs, metrics, checkpoints, samples.
 * STRICT tables so a wrong type is an error instead of a silent conversion; JSON columns are TEXT
 * checked with json_valid. Deleting a run takes its metrics, checkpoints and samples with it
 * (ON DELETE CASCADE); deleting a corpus that runs use is refused by the foreign key and only done
 * on purpose by the repository (which deletes those runs first).
 * Ids people type (#ID, a run id) use AUTOINCREMENT, so the id of a deleted row never names a new one.
 */
import type { Migration } from './types.ts';

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE corpora (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        text TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        chars INTEGER NOT NULL,
        distinct_chars INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      -- Shared by every run trained on the same set of characters.
      CREATE TABLE vocabularies (
        id INTEGER PRIMARY KEY,
        chars TEXT NOT NULL CHECK (json_valid(chars)),
        sha256 TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sweeps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        grid TEXT NOT NULL CHECK (json_valid(grid)),
        created_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        corpus_id INTEGER REFERENCES corpora(id),
        vocabulary_id INTEGER NOT NULL REFERENCES vocabularies(id),
        hyper TEXT NOT NULL CHECK (json_valid(hyper)),
        status TEXT NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'running', 'paused', 'done', 'stopped', 'failed', 'interrupted')),
        reason TEXT,
        parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
        reproduction TEXT NOT NULL CHECK (json_valid(reproduction)),
        sample_settings TEXT CHECK (sample_settings IS NULL OR json_valid(sample_settings)),
        step INTEGER NOT NULL DEFAULT 0,
        total_steps INTEGER NOT NULL DEFAULT 0,
        -- Which host process trains the run, for telling a live run from one whose host died.
        owner_pid INTEGER,
        owner_host_id TEXT,
        heartbeat_at TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT
      ) STRICT;
      CREATE INDEX runs_corpus ON runs(corpus_id);
      CREATE INDEX runs_sweep ON runs(sweep_id);
      CREATE INDEX runs_parent ON runs(parent_run_id);
      CREATE INDEX runs_vocabulary ON runs(vocabulary_id);
      CREATE INDEX runs_status ON runs(status);

      CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        epoch REAL NOT NULL,
        train_loss REAL NOT NULL,
        train_loss_avg REAL NOT NULL,
        val_loss REAL,
        bits_per_char REAL NOT NULL,
        val_bits_per_char REAL,
        accuracy REAL NOT NULL,
        val_accuracy REAL,
        grad_norm REAL NOT NULL,
        lr REAL NOT NULL,
        chars_per_sec REAL NOT NULL,
        elapsed_ms REAL NOT NULL,
        wall_time TEXT NOT NULL
      ) STRICT;
      -- Covers the chart query (step and losses) so drawing a curve never touches the wide rows.
      CREATE INDEX metrics_run_step ON metrics(run_id, step, train_loss, val_loss);
      -- The last and the best validation loss of a run without scanning its training rows.
      CREATE INDEX metrics_run_val_step ON metrics(run_id, step) WHERE val_loss IS NOT NULL;
      CREATE INDEX metrics_run_val_loss ON metrics(run_id, val_loss) WHERE val_loss IS NOT NULL;

      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('periodic', 'best', 'final', 'imported')),
        val_loss REAL,
        train_loss REAL,
        -- A safetensors file (weights, optimizer state, metadata), exportable as it is.
        bytes BLOB NOT NULL,
        size INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX checkpoints_run_step ON checkpoints(run_id, step);

      CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        prompt TEXT NOT NULL,
        temperature REAL NOT NULL,
        length INTEGER NOT NULL,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX samples_checkpoint ON samples(checkpoint_id);
      CREATE INDEX samples_run ON samples(run_id, step);
    `);
  },
};
