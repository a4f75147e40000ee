// Usage updates as the usage history grows (10,000 then 1,000,000 rows by default): p99 must stay
// flat, since the usage statement only appends to the history.
import type { Scenario } from '../context.js';
import { alternate, type Figures } from '../measure.js';
import { usageUpdates } from './usage.js';
import { fmt, LOAD_COLUMNS, loadRow, ratio, table } from '../report.js';

const MAX_GROWTH_P99_RATIO = 1.5;

export const history: Scenario = {
  name: 'history',
  async run(bench) {
    const [service, sessionIds] = await Promise.all([bench.service(), bench.sessions()]);
    // Earlier scenarios left rows of their own: start from none, so that the first size is reachable.
    await bench.db.clearHistory();
    const steps: { rows: number; figures: Figures }[] = [];
    for (const rows of bench.settings.historyRows) {
      const added = await bench.db.growHistory(sessionIds, rows);
      bench.log(`history: ${fmt(rows)} rows (${fmt(added)} added)`);
      const results = await alternate(bench, `history at ${fmt(rows)} rows`, [
        {
          name: 'service',
          cpuMs: service.cpuMs,
          run: (seconds) => usageUpdates(bench, [service.baseUrl], sessionIds, seconds),
        },
      ]);
      steps.push({ rows, figures: results.get('service')! });
    }
    const smallest = steps[0]!;
    const largest = steps.at(-1)!;
    const growth = largest.figures.p99Ms / smallest.figures.p99Ms;
    return {
      title: `usage updates as the history grows, ${bench.settings.connections} connections`,
      lines: [
        ...table(
          ['rows of history before the runs', ...LOAD_COLUMNS],
          steps.map((step) => loadRow(fmt(step.rows), step.figures)),
        ),
        '',
        `p99 at ${fmt(largest.rows)} rows ÷ p99 at ${fmt(smallest.rows)}: **${ratio(growth)}**`,
      ],
      targets: [
        {
          text: `flat p99 as history grows (${fmt(largest.rows)} ÷ ${fmt(smallest.rows)} rows ≤ ${MAX_GROWTH_P99_RATIO}×): ${ratio(growth)}`,
          met: growth <= MAX_GROWTH_P99_RATIO,
        },
      ],
    };
  },
};
