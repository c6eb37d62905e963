/**
 * Charts saved as files. uPlot draws on a canvas: PNG is that canvas (on the panel's background, so
 * it reads outside the app); SVG is drawn here from the same data, scales and ticks (a ChartPicture
 * read off the uPlot instance), so both files show what the screen shows.
 */
import type uPlot from 'uplot';
import { escapeXml } from './picture-export.ts';

export interface PictureSeries {
  label: string;
  color: string;
  dash?: number[];
  /** Points in pixels of the whole picture; null breaks nothing (the line spans gaps, as on screen). */
  points: ({ x: number; y: number } | null)[];
  /** Bars (a frequency chart) instead of a line, reaching down to `baseline`. */
  bars?: { width: number; baseline: number };
}

export interface PictureTick {
  pos: number;
  label: string;
}

/** Everything an SVG of a chart needs, in pixels of the whole picture. */
export interface ChartPicture {
  width: number;
  height: number;
  plot: { left: number; top: number; width: number; height: number };
  xTicks: PictureTick[];
  yTicks: PictureTick[];
  xLabel: string;
  yLabel: string;
  series: PictureSeries[];
  colors: { background: string; text: string; grid: string };
}

const FONT = 'system-ui, sans-serif';

const round = (v: number) => Math.round(v * 10) / 10;

/** The chart as a standalone SVG document. */
export function chartSvg(p: ChartPicture): string {
  const { plot } = p;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${p.width}" height="${p.height}" viewBox="0 0 ${p.width} ${p.height}" font-family="${FONT}" font-size="11">`,
    `<rect width="100%" height="100%" fill="${escapeXml(p.colors.background)}"/>`,
  ];
  for (const tick of p.xTicks) {
    parts.push(`<line x1="${round(tick.pos)}" y1="${plot.top}" x2="${round(tick.pos)}" y2="${plot.top + plot.height}" stroke="${escapeXml(p.colors.grid)}"/>`);
    parts.push(`<text class="x-tick" x="${round(tick.pos)}" y="${plot.top + plot.height + 14}" text-anchor="middle" fill="${escapeXml(p.colors.text)}">${escapeXml(tick.label)}</text>`);
  }
  for (const tick of p.yTicks) {
    parts.push(`<line x1="${plot.left}" y1="${round(tick.pos)}" x2="${plot.left + plot.width}" y2="${round(tick.pos)}" stroke="${escapeXml(p.colors.grid)}"/>`);
    parts.push(`<text class="y-tick" x="${plot.left - 6}" y="${round(tick.pos) + 4}" text-anchor="end" fill="${escapeXml(p.colors.text)}">${escapeXml(tick.label)}</text>`);
  }
  parts.push(`<text x="${plot.left + plot.width / 2}" y="${p.height - 4}" text-anchor="middle" fill="${escapeXml(p.colors.text)}">${escapeXml(p.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${plot.top + plot.height / 2}) rotate(-90)" text-anchor="middle" fill="${escapeXml(p.colors.text)}">${escapeXml(p.yLabel)}</text>`);
  for (const s of p.series) {
    const color = escapeXml(s.color);
    if (s.bars) {
      const bars = s.bars;
      const rects = s.points.flatMap((pt) => (pt ? [`<rect x="${round(pt.x - bars.width / 2)}" y="${round(pt.y)}" width="${round(bars.width)}" height="${round(Math.max(0, bars.baseline - pt.y))}"/>`] : []));
      parts.push(`<g class="series" fill="${color}"><title>${escapeXml(s.label)}</title>${rects.join('')}</g>`);
      continue;
    }
    const coords = s.points.flatMap((pt) => (pt ? [`${round(pt.x)},${round(pt.y)}`] : []));
    if (coords.length === 0) continue;
    const dash = s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="1.5"${dash} points="${coords.join(' ')}"><title>${escapeXml(s.label)}</title></polyline>`);
  }
  // The legend, top right inside the plot.
  p.series.forEach((s, i) => {
    const y = plot.top + 12 + i * 14;
    const x = plot.left + plot.width - 8;
    parts.push(`<text class="legend" x="${x}" y="${y}" text-anchor="end" fill="${escapeXml(s.color)}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** What uPlot keeps of an axis after drawing it (not in its typings): the split values and their labels. */
interface DrawnAxis {
  _splits?: number[];
  _values?: (string | number | null)[];
}

/** The picture of a drawn uPlot chart; `bars` names the series drawn as bars. */
export function pictureOf(
  u: uPlot,
  options: { xLabel: string; yLabel: string; colors: ChartPicture['colors']; colorOf: (seriesIndex: number) => string; dashOf?: (seriesIndex: number) => number[] | undefined; bars?: boolean },
): ChartPicture {
  const ratio = devicePixelRatio || 1;
  const plot = { left: u.bbox.left / ratio, top: u.bbox.top / ratio, width: u.bbox.width / ratio, height: u.bbox.height / ratio };
  const ticksOf = (axisIndex: number, scale: 'x' | 'y', offset: number): PictureTick[] => {
    const axis = u.axes[axisIndex] as unknown as DrawnAxis;
    const splits = axis._splits ?? [];
    const values = axis._values ?? [];
    return splits.flatMap((v, i) => {
      const label = values[i];
      if (label === null || label === undefined || label === '') return [];
      const pos = u.valToPos(v, scale) + offset;
      return Number.isFinite(pos) ? [{ pos, label: String(label) }] : [];
    });
  };
  const xs = u.data[0] as number[];
  const series: PictureSeries[] = [];
  u.series.forEach((s, i) => {
    if (i === 0 || s.show === false) return;
    const ys = u.data[i] as (number | null | undefined)[];
    const points = xs.map((x, j) => {
      const y = ys[j];
      return y === null || y === undefined ? null : { x: plot.left + u.valToPos(x, 'x'), y: plot.top + u.valToPos(y, 'y') };
    });
    const barWidth = xs.length > 1 ? (plot.width / xs.length) * 0.8 : 10;
    series.push({
      label: typeof s.label === 'string' ? s.label : String(i),
      color: options.colorOf(i),
      dash: options.dashOf?.(i),
      points,
      ...(options.bars ? { bars: { width: barWidth, baseline: plot.top + plot.height } } : {}),
    });
  });
  return {
    width: u.width,
    height: u.height,
    plot,
    xTicks: ticksOf(0, 'x', plot.left),
    yTicks: ticksOf(1, 'y', plot.top),
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    series,
    colors: options.colors,
  };
}

/** The chart's canvas as PNG bytes, on a solid background (a transparent PNG is unreadable on a dark viewer). */
export function chartPng(u: uPlot, background: string): Promise<Blob> {
  const source = u.ctx.canvas;
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The chart could not be turned into a PNG.'))), 'image/png'));
}

/** A file name from a chart's title: letters, digits and dashes. */
export function chartFileName(title: string, extension: 'png' | 'svg'): string {
  const base = title.normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').toLowerCase() || 'chart';
  return `${base}.${extension}`;
}
