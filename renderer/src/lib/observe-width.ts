/**
 * uPlot draws at a fixed pixel size, so each chart follows its container's width itself. A width of 0
 * (the chart's tab is hidden) is ignored, so the chart keeps its last size instead of collapsing.
 */
export function observeWidth(element: HTMLElement, onWidth: (width: number) => void): () => void {
  const observer = new ResizeObserver((entries) => {
    const width = Math.floor(entries[0].contentRect.width);
    if (width > 0) onWidth(width);
  });
  observer.observe(element);
  return () => observer.disconnect();
}
