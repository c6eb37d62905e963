/**
 * Bringing a project folder back into its run, by host path or by a folder dropped on the Training
 * view: one state, so the Import panel shows progress and the result wherever the drop landed.
 */
import type { ProjectImportReport } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { droppedFolder, importedByRun, isProjectFolder, readDroppedFolder, type DroppedEntry } from './dropped-folder.ts';
import { t } from './i18n.svelte.ts';
import { workbench } from './workbench.svelte.ts';

/** A sentence of ours (already in the user's language), not the host's. */
class Refusal extends Error {}

class RunFolderImport {
  busy = $state(false);
  /** What is happening now, while busy (reading the dropped folder, sending it). */
  progress = $state<string | null>(null);
  error = $state<string | null>(null);
  report = $state.raw<ProjectImportReport | null>(null);

  fromHostPath(dir: string): Promise<void> {
    return this.run(() => api.importRun({ dir: dir.trim() }));
  }

  /** A drop: its one folder, read into files and sent; anything else gets a sentence. */
  fromDrop(dataTransfer: DataTransfer | null): Promise<void> {
    const items = Array.from(dataTransfer?.items ?? []).filter((item) => item.kind === 'file');
    // Entries must be taken during the drop event itself: the browser empties the DataTransfer after it.
    const folder = droppedFolder(items.map((item) => item.webkitGetAsEntry() as DroppedEntry | null));
    return this.run(async () => {
      if (folder === 'not-a-folder') throw new Refusal(t('project.dropNotFolder'));
      this.progress = t('project.dropReading', { n: 0 });
      const files = await readDroppedFolder(folder, (n) => (this.progress = t('project.dropReading', { n })), importedByRun);
      if (!isProjectFolder(files)) throw new Refusal(t('project.dropNoJob', { name: folder.name }));
      this.progress = t('project.dropSending', { n: files.length });
      return api.importRunFiles({ files });
    });
  }

  private async run(importing: () => Promise<ProjectImportReport>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    this.report = null;
    try {
      const report = await importing();
      this.report = report;
      await workbench.refreshRuns();
      await workbench.series.get(report.runId)?.reload();
    } catch (e) {
      this.error = e instanceof Refusal ? e.message : messageOf(e);
    } finally {
      this.busy = false;
      this.progress = null;
    }
  }
}

export const runFolderImport = new RunFolderImport();
