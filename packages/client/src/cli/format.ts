// Pure formatting for the CLI's human output: aligned tables, readable numbers and times.

export type Cell = string | number | null | undefined;

/** `200000` → `200,000`; null → `—`. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** `37.5` → `37.5%`. */
export function pct(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${num(value)}%`;
}

/** An RFC 3339 timestamp as `2026-11-30 15:13:17Z` (UTC, whole seconds). */
export function time(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Seconds as `45s`, `12m 5s`, `3h 2m`, `2d 4h`. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Cuts long text to `width` characters, marking the cut with `…`. */
export function clip(value: string | null | undefined, width: number): string {
  if (!value) return '—';
  const oneLine = value.replace(/\s+/g, ' ').trim();
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}

/** Numbers, percentages and sizes (`75,000`, `37.5%`, `25 B`, `12 ms`) line up on the right. */
const isNumeric = (cell: string) => /^-?[\d,.]+(%| B| ms)?$/.test(cell);

/**
 * Columns padded to their widest cell, numbers right-aligned, two spaces apart; the header is
 * upper case. An empty table prints `emptyMessage` instead.
 */
export function table(headers: string[], rows: Cell[][], emptyMessage = '(none)'): string {
  if (rows.length === 0) return emptyMessage;
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]!.length)));
  const rightAligned = headers.map((_, i) => text.every((row) => row[i] === '—' || isNumeric(row[i]!)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...text.map(line)].join('\n');
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '—';
  return typeof cell === 'number' ? num(cell) : cell;
}

/** `label  value` pairs with the labels padded to one width. */
export function fields(pairs: [label: string, value: Cell][]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}`).join('\n');
}
