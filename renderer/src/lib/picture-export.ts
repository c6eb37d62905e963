/**
 * Pictures of the Inspect view and the gate heatmaps as files: SVG as written, PNG drawn from the same SVG on a canvas (twice
 * the size, for print). Both go out through a blob link, in the browser as in the desktop app.
 */
import { downloadBytes, downloadText } from './format.ts';

export interface Picture {
  svg: string;
  width: number;
  height: number;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function downloadSvg(fileName: string, picture: Picture): void {
  downloadText(`${fileName}.svg`, picture.svg, 'image/svg+xml');
}

export async function downloadPng(fileName: string, picture: Picture, scale = 2): Promise<void> {
  const url = URL.createObjectURL(new Blob([picture.svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('The picture could not be drawn.'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(picture.width * scale);
    canvas.height = Math.ceil(picture.height * scale);
    canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('No PNG.'))), 'image/png'));
    downloadBytes(`${fileName}.png`, new Uint8Array(await blob.arrayBuffer()), 'image/png');
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Characters with their background colours, one row per line, as an SVG (monospace cells). */
export function textPicture(
  rows: { chars: string[]; colours: string[] }[],
  ink: { text: string; background: string },
  cell = { width: 9, height: 18 },
): Picture {
  const columns = Math.max(1, ...rows.map((r) => r.chars.length));
  const width = columns * cell.width + 8;
  const height = rows.length * cell.height + 8;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="${ink.background}"/>`];
  rows.forEach((row, r) => {
    const y = 4 + r * cell.height;
    row.chars.forEach((ch, c) => {
      const x = 4 + c * cell.width;
      if (row.colours[c] !== 'transparent') parts.push(`<rect x="${x}" y="${y}" width="${cell.width}" height="${cell.height}" fill="${row.colours[c]}"/>`);
      if (ch.trim() !== '') parts.push(`<text x="${x + cell.width / 2}" y="${y + cell.height - 5}">${escapeXml(ch)}</text>`);
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<g font-family="ui-monospace, Menlo, Consolas, monospace" font-size="13" text-anchor="middle" fill="${ink.text}">${parts.join('')}</g></svg>`;
  return { svg, width, height };
}

/**
 * A heatmap as an SVG: its title, one row of cells per unit (`colours[row][column]`), the characters
 * under the columns and the colour scale's ends, in the map's own colours.
 */
export function heatmapPicture(
  map: { title: string; chars: string[]; rowLabels: string[]; colours: string[][]; legend: string },
  ink: { text: string; background: string },
  cell = { width: 12, height: 8 },
): Picture {
  const left = 40;
  const top = 22;
  const width = left + Math.max(1, map.chars.length) * cell.width + 8;
  const gridBottom = top + map.colours.length * cell.height;
  const height = gridBottom + 36;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="${ink.background}"/>`];
  parts.push(`<text x="4" y="14" font-weight="600">${escapeXml(map.title)}</text>`);
  map.colours.forEach((row, r) => {
    const y = top + r * cell.height;
    parts.push(`<text class="unit" x="${left - 4}" y="${y + cell.height - 1}" text-anchor="end" font-size="${Math.min(9, cell.height + 1)}">${escapeXml(map.rowLabels[r] ?? '')}</text>`);
    row.forEach((colour, c) => parts.push(`<rect x="${left + c * cell.width}" y="${y}" width="${cell.width}" height="${cell.height}" fill="${colour}"/>`));
  });
  map.chars.forEach((ch, c) => {
    if (ch.trim() !== '') parts.push(`<text x="${left + c * cell.width + cell.width / 2}" y="${gridBottom + 13}" text-anchor="middle">${escapeXml(ch)}</text>`);
  });
  parts.push(`<text x="4" y="${height - 6}">${escapeXml(map.legend)}</text>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
    + `<g font-family="system-ui, sans-serif" font-size="11" fill="${ink.text}">${parts.join('')}</g></svg>`;
  return { svg, width, height };
}
