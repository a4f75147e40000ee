// The benchmark's figures as Markdown: a section per scenario (a table and its targets), with the
// machine and the settings, printed and kept in bench/RESULTS.md between two markers (the notes
// around them are written by hand).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Figures } from './measure.js';

/** What a scenario reports: a titled piece of Markdown and the targets it checked. */
export interface Section {
  title: string;
  lines: string[];
  targets: Target[];
}

export interface Target {
  /** E.g. "usage updates, 1,000 sessions: req/s ≥ 0.8× the baseline's: 0.93×". */
  text: string;
  met: boolean;
}

const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

export const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—';
export const ms = (value: number) => fmt(value, value < 10 ? 2 : 1);
export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '—');

export function table(header: string[], rows: (string | number)[][]): string[] {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)];
}

/** The columns of a load table after the first (which names the contender). */
export const LOAD_COLUMNS = ['ops/s', 'p50 ms', 'p99 ms', 'server CPU µs/op', 'PostgreSQL CPU µs/op', 'failed'];

/** A contender's row of a load table. */
export function loadRow(name: string, figures: Figures): (string | number)[] {
  return [name, fmt(figures.rate), ms(figures.p50Ms), ms(figures.p99Ms), fmt(figures.serverCpuUs), fmt(figures.postgresCpuUs), figures.failures];
}

/** `a ÷ b` for each figure of a load table. */
export function ratioRow(name: string, a: Figures, b: Figures): (string | number)[] {
  return [
    `**${name}**`,
    `**${ratio(a.rate / b.rate)}**`,
    ratio(a.p50Ms / b.p50Ms),
    `**${ratio(a.p99Ms / b.p99Ms)}**`,
    ratio(a.serverCpuUs / b.serverCpuUs),
    ratio(a.postgresCpuUs / b.postgresCpuUs),
    '',
  ];
}

/** "req/s ≥ 0.8× the baseline's" and "p99 ≤ 1.5× the baseline's", the usual pair of targets. */
export function ratioTargets(label: string, service: Figures, baseline: Figures, minRate: number, maxP99: number | undefined): Target[] {
  const rate = service.rate / baseline.rate;
  const targets = [{ text: `${label}: rate ≥ ${minRate}×: ${ratio(rate)}`, met: rate >= minRate && service.failures === 0 }];
  if (maxP99 !== undefined) {
    const p99 = service.p99Ms / baseline.p99Ms;
    targets.push({ text: `${label}: p99 ≤ ${maxP99}×: ${ratio(p99)}`, met: p99 <= maxP99 });
  }
  return targets;
}

export function describeMachine(postgresVersion: string, loadAverageAtStart: number[]): string[] {
  const cpuModel = readCpuModel() ?? cpus()[0]?.model ?? 'unknown';
  return [
    `- CPU: ${cpuModel}, ${cpus().length} cores (shared by PostgreSQL, the servers, the load generator and whatever else runs)`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, PostgreSQL ${postgresVersion} (local)`,
    `- load average when the run started: ${loadAverageAtStart.map((value) => value.toFixed(2)).join(', ')}`,
  ];
}

function readCpuModel(): string | undefined {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

export const currentLoadAverage = (): number[] => loadavg();

export function renderSection(run: {
  startedAt: Date;
  seconds: number;
  machine: string[];
  settings: Record<string, string>;
  sections: Section[];
}): string {
  const targets = run.sections.flatMap((section) => section.targets);
  return [
    `## Latest run: ${run.startedAt.toISOString()} (${Math.round(run.seconds)} s)`,
    '',
    ...run.machine,
    `- settings: ${Object.entries(run.settings)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ')}`,
    ...run.sections.flatMap((section) => ['', `### ${section.title}`, '', ...section.lines]),
    '',
    '### Targets',
    '',
    ...targets.map((target) => `- ${target.text} ${target.met ? '**met**' : '**missed**'}`),
  ].join('\n');
}

/** Replaces the generated section of `path` (or creates the file with it). */
export function writeResults(path: string, section: string): void {
  const generated = `${BEGIN}\n${section}\n${END}`;
  if (!existsSync(path)) {
    writeFileSync(path, `# Benchmark results\n\n${generated}\n`);
    return;
  }
  const text = readFileSync(path, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  writeFileSync(
    path,
    begin >= 0 && end > begin ? `${text.slice(0, begin)}${generated}${text.slice(end + END.length)}` : `${text.trimEnd()}\n\n${generated}\n`,
  );
}
