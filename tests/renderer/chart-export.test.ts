// The SVG a chart is saved as: its lines (spanning gaps, as on screen), bars, ticks, axis labels and
// legend, with text escaped; and file names made from titles.
import { describe, expect, it } from 'vitest';
import { chartFileName, chartSvg, type ChartPicture } from '../../renderer/src/lib/chart-export.ts';

const picture: ChartPicture = {
  width: 300,
  height: 200,
  plot: { left: 40, top: 10, width: 250, height: 160 },
  xTicks: [{ pos: 40, label: '0' }, { pos: 165, label: '500' }],
  yTicks: [{ pos: 50, label: '2' }],
  xLabel: 'step',
  yLabel: 'loss <nats>',
  series: [
    { label: 'train & co', color: '#2f6bd8', points: [{ x: 40, y: 20 }, null, { x: 290, y: 150 }] },
    { label: 'val', color: '#e0663a', dash: [6, 4], points: [null, null] },
  ],
  colors: { background: '#fff', text: '#555', grid: '#eee' },
};

describe('chartSvg', () => {
  const svg = chartSvg(picture);

  it('is one SVG document with a line per series that has points, dashed where the screen dashes it', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('points="40,20 290,150"');
  });

  it('has the ticks, the axis labels and the legend, escaped', () => {
    expect(svg.match(/class="x-tick"/g)).toHaveLength(2);
    expect(svg.match(/class="y-tick"/g)).toHaveLength(1);
    expect(svg).toContain('>loss &lt;nats&gt;</text>');
    expect(svg).toContain('>train &amp; co</text>');
    expect(svg).not.toContain('train & co');
  });

  it('draws bars down to the baseline', () => {
    const bars = chartSvg({ ...picture, series: [{ label: 'count', color: '#000', points: [{ x: 50, y: 100 }], bars: { width: 10, baseline: 170 } }] });
    expect(bars).toContain('<rect x="45" y="100" width="10" height="70"/>');
  });
});

describe('chartFileName', () => {
  it('keeps letters of any script and digits, dashes the rest', () => {
    expect(chartFileName('Loss curves', 'svg')).toBe('loss-curves.svg');
    expect(chartFileName('损失曲线', 'png')).toBe('损失曲线.png');
    expect(chartFileName('«»', 'png')).toBe('chart.png');
  });
});
