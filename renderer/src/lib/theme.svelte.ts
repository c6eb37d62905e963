/**
 * Light or dark: the switch in the header picks system (prefers-color-scheme), light or dark, and is
 * remembered (localStorage). An explicit light or dark lands on <html data-theme>, which app.css reads
 * (system is app.css's own media query, so it follows the system with no script in between); charts read
 * their colours from the same CSS variables, recreating themselves when `dark` flips.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const STORAGE_KEY = 'rnnwb.theme';

class Theme {
  choice = $state<ThemeChoice>('system');
  dark = $state(false);
  #systemDark = false;

  constructor() {
    const query = matchMedia('(prefers-color-scheme: dark)');
    this.#systemDark = query.matches;
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    this.choice = (THEME_CHOICES as readonly string[]).includes(saved ?? '') ? (saved as ThemeChoice) : 'system';
    this.#apply();
    query.addEventListener('change', (event) => {
      this.#systemDark = event.matches;
      this.#apply();
    });
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    localStorage.setItem(STORAGE_KEY, choice);
    this.#apply();
  }

  #apply(): void {
    // The attribute first: charts re-read the CSS variables as soon as `dark` changes.
    if (this.choice === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.choice;
    this.dark = this.choice === 'dark' || (this.choice === 'system' && this.#systemDark);
  }

  /** A CSS custom property's value, e.g. color('--series-1'). Reading `dark` makes callers re-run on a flip. */
  color(name: string): string {
    void this.dark;
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
  }
}

export const theme = new Theme();

/** Colours for the n-th run or gate in a chart. */
export const SERIES_VARS = ['--series-1', '--series-2', '--series-3', '--series-4', '--series-5', '--series-6', '--series-7', '--series-8'];
export function seriesColor(index: number): string {
  return theme.color(SERIES_VARS[index % SERIES_VARS.length]);
}
