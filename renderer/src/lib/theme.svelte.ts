/**
 * Light or dark follows the system (prefers-color-scheme); CSS does the page, and charts read their
 * colours from the same CSS variables, recreating themselves when the scheme flips.
 */
class Theme {
  dark = $state(false);

  constructor() {
    const query = matchMedia('(prefers-color-scheme: dark)');
    this.dark = query.matches;
    query.addEventListener('change', (event) => (this.dark = event.matches));
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
