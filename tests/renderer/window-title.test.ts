// The window title and the taskbar bar read the same progress: steps done over steps planned of the
// running and paused runs, floored in the title so "100 %" means every step is done.
import { describe, expect, it } from 'vitest';
import { trainingProgress, windowTitle } from '../../renderer/src/lib/window-title.ts';

describe('the window title', () => {
  it('is the app name alone when nothing trains', () => {
    expect(trainingProgress([])).toBeNull();
    expect(trainingProgress([{ status: 'done', step: 10, totalSteps: 10 }, { status: 'queued', step: 0, totalSteps: 50 }])).toBeNull();
    expect(windowTitle('Recurrent Workbench', null)).toBe('Recurrent Workbench');
  });

  it('leads with the progress of the running and paused runs together', () => {
    const progress = trainingProgress([
      { status: 'running', step: 30, totalSteps: 100 },
      { status: 'paused', step: 44, totalSteps: 100 },
      { status: 'done', step: 500, totalSteps: 500 },
    ]);
    expect(progress).toBe(0.37);
    expect(windowTitle('Recurrent Workbench', progress)).toBe('37 % · Recurrent Workbench');
    expect(windowTitle('循环网络工作台', 0.999)).toBe('99 % · 循环网络工作台');
  });
});
