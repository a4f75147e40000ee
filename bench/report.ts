// The benchmark's figures as a Markdown table with the machine and the targets, printed and kept
// in bench/RESULTS.md between two markers (the notes around them are written by hand).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { LoadResult } from './load.js';

export interface Comparison {
  service: LoadResult;
  baseline: LoadResult;
  rounds: number;
  /** A reference run: the baseline sending the statement as a prepared statement. */
  preparedBaseline?: LoadResult;
}

export interface Results {
  settings: Record<string, string>;
  spread: Comparison;
  hot: Comparison;
  checkpoints: LoadResult;
  webhook: { samples: number; p50Ms: number; p99Ms: number; lost: number };
  growth: { rows: number; result: LoadResult }[];
  postgresVersion: string;
  loadAverageAtStart: number[];
  startedAt: Date;
  seconds: number;
}

export const TARGETS = {
  minRpsRatio: 0.8,
  maxP99Ratio: 1.5,
  maxWebhookP50Ms: 100,
  /** "Flat": p99 with the largest history at most this many times the p99 with the smallest. */
  maxGrowthP99Ratio: 1.5,
};

const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

export function describeMachine(postgresVersion: string, loadAverageAtStart: number[]): string[] {
  const cpuModel = readCpuModel() ?? cpus()[0]?.model ?? 'unknown';
  return [
    `- CPU: ${cpuModel}, ${cpus().length} cores`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, PostgreSQL ${postgresVersion} (local, shared with whatever else runs)`,
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

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (value: number) => fmt(value, value < 10 ? 2 : 1);
const ratio = (value: number) => `${value.toFixed(2)}×`;
const cpu = (result: LoadResult) => (Number.isNaN(result.cpuMsPerRequest) ? '—' : fmt(result.cpuMsPerRequest * 1000));
const mark = (ok: boolean) => (ok ? '**met**' : '**missed**');

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function comparisonRows(label: string, comparison: Comparison): string[] {
  const { service, baseline } = comparison;
  return [
    row([label, 'service', fmt(service.rps), ms(service.p50Ms), ms(service.p99Ms), cpu(service), service.failures]),
    row(['', 'baseline', fmt(baseline.rps), ms(baseline.p50Ms), ms(baseline.p99Ms), cpu(baseline), baseline.failures]),
    row([
      '',
      '**service ÷ baseline**',
      `**${ratio(service.rps / baseline.rps)}**`,
      ratio(service.p50Ms / baseline.p50Ms),
      `**${ratio(service.p99Ms / baseline.p99Ms)}**`,
      ratio(service.cpuMsPerRequest / baseline.cpuMsPerRequest),
      '',
    ]),
    ...(comparison.preparedBaseline
      ? [
          row([
            '',
            'reference: baseline with a prepared statement',
            fmt(comparison.preparedBaseline.rps),
            ms(comparison.preparedBaseline.p50Ms),
            ms(comparison.preparedBaseline.p99Ms),
            cpu(comparison.preparedBaseline),
            comparison.preparedBaseline.failures,
          ]),
        ]
      : []),
  ];
}

export function renderTable(results: Results): string[] {
  const smallest = results.growth[0]!;
  const largest = results.growth.at(-1)!;
  return [
    row(['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'failed']),
    row(['---', '---', '---:', '---:', '---:', '---:', '---:']),
    ...comparisonRows(`usage updates, 1,000 sessions, ${results.settings.connections} connections`, results.spread),
    ...comparisonRows(`usage updates, 1 hot session, ${results.settings.connections} connections`, results.hot),
    row([
      'checkpoint writes, 64 KiB snapshots',
      'service',
      fmt(results.checkpoints.rps),
      ms(results.checkpoints.p50Ms),
      ms(results.checkpoints.p99Ms),
      cpu(results.checkpoints),
      results.checkpoints.failures,
    ]),
    row([
      `threshold crossing → webhook received (${results.webhook.samples} crossings, one at a time)`,
      'service',
      '—',
      ms(results.webhook.p50Ms),
      ms(results.webhook.p99Ms),
      '—',
      results.webhook.lost,
    ]),
    ...results.growth.map((step) =>
      row([
        `usage updates, ${fmt(step.rows)} rows of history`,
        'service',
        fmt(step.result.rps),
        ms(step.result.p50Ms),
        ms(step.result.p99Ms),
        cpu(step.result),
        step.result.failures,
      ]),
    ),
    row(['', `p99 ${fmt(largest.rows)} ÷ ${fmt(smallest.rows)} rows`, '', '', `**${ratio(largest.result.p99Ms / smallest.result.p99Ms)}**`, '', '']),
  ];
}

export function renderTargets(results: Results): string[] {
  const lines: string[] = [];
  for (const [label, comparison] of [
    ['1,000 sessions', results.spread],
    ['1 hot session', results.hot],
  ] as const) {
    const rps = comparison.service.rps / comparison.baseline.rps;
    const p99 = comparison.service.p99Ms / comparison.baseline.p99Ms;
    lines.push(`- usage updates (${label}) at ≥ ${TARGETS.minRpsRatio}× the baseline's req/s: ${ratio(rps)} ${mark(rps >= TARGETS.minRpsRatio)}`);
    lines.push(`- usage updates (${label}) with p99 ≤ ${TARGETS.maxP99Ratio}× the baseline's: ${ratio(p99)} ${mark(p99 <= TARGETS.maxP99Ratio)}`);
  }
  lines.push(
    `- webhook delivery p50 under ${TARGETS.maxWebhookP50Ms} ms: ${ms(results.webhook.p50Ms)} ms ${mark(results.webhook.p50Ms < TARGETS.maxWebhookP50Ms && results.webhook.lost === 0)}`,
  );
  const smallest = results.growth[0]!;
  const largest = results.growth.at(-1)!;
  const growth = largest.result.p99Ms / smallest.result.p99Ms;
  lines.push(
    `- flat p99 as history grows (p99 at ${fmt(largest.rows)} rows ≤ ${TARGETS.maxGrowthP99Ratio}× p99 at ${fmt(smallest.rows)}): ${ratio(growth)} ${mark(growth <= TARGETS.maxGrowthP99Ratio)}`,
  );
  lines.push('- at most one database round trip on the common usage path: checked by `test/api/usage-round-trips.test.ts`, not here');
  return lines;
}

export function renderSection(results: Results): string {
  return [
    `## Latest run: ${results.startedAt.toISOString()} (${Math.round(results.seconds)} s)`,
    '',
    ...describeMachine(results.postgresVersion, results.loadAverageAtStart),
    `- settings: ${Object.entries(results.settings)
      .map(([key, value]) => `${key} ${value}`)
      .join(', ')}`,
    '',
    ...renderTable(results),
    '',
    'Targets:',
    '',
    ...renderTargets(results),
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
