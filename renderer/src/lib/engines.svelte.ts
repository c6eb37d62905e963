/**
 * What this computer can train on (api.describeEngines), asked once and shared by the Engines panel,
 * New run's Engine section and the continue form; and the sentence a choice of engine and device gets
 * when it cannot train here (null when it can, or while nothing is known yet).
 */
import type { EngineDevice, EngineKind } from '../../../engine/fields.ts';
import type { EnginesInfo } from '../../../main/api/contract.ts';
import { api, messageOf } from './api.ts';
import { i18n, t } from './i18n.svelte.ts';
import type { MessageId } from './messages.ts';

class EnginesState {
  info = $state.raw<EnginesInfo | null>(null);
  error = $state<string | null>(null);
  /** The python setting's refusal, beside its field. */
  pythonError = $state<string | null>(null);
  busy = $state(false);
  private pending: Promise<void> | null = null;

  /** Asks once (again with `force`); callers may await it. */
  load(force = false): Promise<void> {
    if (this.pending && !force) return this.pending;
    this.pending = (async () => {
      try {
        this.info = await api.describeEngines();
        this.error = null;
      } catch (error) {
        this.error = messageOf(error);
      }
    })();
    return this.pending;
  }

  /** Stores the python (checked by the host first); null goes back to the default. */
  async setPython(path: string | null): Promise<boolean> {
    this.busy = true;
    this.pythonError = null;
    try {
      this.info = await api.setPythonPath(path);
      return true;
    } catch (error) {
      this.pythonError = messageOf(error);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

export const engines = new EnginesState();

/** Why this engine and device cannot train here, in the UI's language; null when they can (or nothing is known yet). */
export function engineChoiceProblem(info: EnginesInfo | null, engine: EngineKind | string, device: EngineDevice | string): string | null {
  if (!info || engine !== 'pytorch') return null;
  const { pytorch } = info;
  if (!pytorch.found) return t('engines.install', { python: pytorch.python });
  if (device === 'cuda' && pytorch.found.cuda.length === 0) return t('engines.noCuda', { python: pytorch.python, torch: pytorch.found.torchVersion });
  if (device === 'mps' && !pytorch.found.mps) return t('engines.noMps', { python: pytorch.python, torch: pytorch.found.torchVersion });
  return null;
}

const DEVICE_NAMES: Record<string, MessageId> = { cpu: 'engines.device.cpu', cuda: 'engines.device.cuda', mps: 'engines.device.mps' };

/** A device as people write it: CPU, CUDA (cuda:1 → CUDA:1), MPS; anything else as the host named it. */
export function deviceName(device: string): string {
  const [kind, index] = device.split(':');
  const id = DEVICE_NAMES[kind];
  if (!id) return device;
  return index === undefined ? t(id) : `${t(id)}:${index}`;
}

/** "PyTorch · CPU", "built-in · CPU" in the UI's language; with torchrun or elsewhere, "· 2 processes on 2 nodes, rank 0 on gpu-box". */
export function segmentText(segment: { engine: EngineKind; device: string; worldSize?: number; nodes?: number; host?: string }): string {
  const text = `${t(segment.engine === 'pytorch' ? 'engines.pytorch' : 'engines.builtin')} · ${deviceName(segment.device)}`;
  if (segment.worldSize === undefined) return text;
  return `${text} · ${t('engines.placement', { processes: i18n.number(segment.worldSize), nodes: i18n.number(segment.nodes ?? 1), host: segment.host ?? '?' })}`;
}
