/** A checkpoint as one line for pickers and lists: "step 120 (best)", in the UI's language. */
import type { CheckpointSummary } from '../../../main/api/contract.ts';
import { t } from './i18n.svelte.ts';

export function checkpointLabel(checkpoint: Pick<CheckpointSummary, 'step' | 'kind'>): string {
  return t('compare.checkpointOption', { step: checkpoint.step, kind: t(`checkpointKind.${checkpoint.kind}`) });
}
