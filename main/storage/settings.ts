/** Settings: one text value per key (migration 005). A key never set reads as null. */
import type { Database, Statement } from 'better-sqlite3';

/** The keys there are, so a typo is tsc's to catch. */
export type SettingKey = 'pythonPath';

export class SettingsRepository {
  private readonly select: Statement<[string], { value: string }>;
  private readonly upsert: Statement<[string, string]>;
  private readonly remove: Statement<[string]>;

  constructor(db: Database) {
    this.select = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.upsert = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.remove = db.prepare('DELETE FROM settings WHERE key = ?');
  }

  get(key: SettingKey): string | null {
    return this.select.get(key)?.value ?? null;
  }

  /** null clears it (back to the default). */
  set(key: SettingKey, value: string | null): void {
    if (value === null) this.remove.run(key);
    else this.upsert.run(key, value);
  }
}
