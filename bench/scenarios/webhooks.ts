// Threshold crossing → webhook received: one crossing at a time on an otherwise idle service, from
// sending the usage update to the event's arrival at a local receiver (so an upper bound of
// commit → arrival).
import { setTimeout as sleep } from 'node:timers/promises';
import { api, createSessions, type Scenario } from '../context.js';
import { percentile } from '../load.js';
import { startReceiver } from '../receiver.js';
import { ms, table } from '../report.js';

const SAMPLES = 40;
const TIMEOUT_MS = 5000;
const MAX_P50_MS = 100;

export const webhooks: Scenario = {
  name: 'webhooks',
  async run(bench) {
    const service = await bench.service();
    const receiver = await startReceiver();
    const { webhook_id: webhookId } = await api<{ webhook_id: string }>(service, bench.apiKey, 'POST', '/v1/webhooks', {
      url: receiver.url,
      events: ['session.threshold_crossed'],
    });
    try {
      const sessionIds = await createSessions(service, bench.apiKey, SAMPLES, 'bench-webhook', 1000);
      const latencies: number[] = [];
      let lost = 0;
      for (const sessionId of sessionIds) {
        const sent = performance.now();
        // 760 of 1,000 tokens crosses 75% only: one event, one delivery.
        await api(service, bench.apiKey, 'POST', `/v1/sessions/${sessionId}/usage`, { tokens: 760 });
        try {
          latencies.push((await receiver.arrival(sessionId, TIMEOUT_MS)) - sent);
        } catch {
          lost++;
        }
        await sleep(20);
      }
      const p50 = latencies.length ? percentile(latencies, 50) : Number.NaN;
      const p99 = latencies.length ? percentile(latencies, 99) : Number.NaN;
      bench.log(`webhooks: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ${lost} lost`);
      return {
        title: `threshold crossing → webhook received (${SAMPLES} crossings, one at a time)`,
        lines: table(['', 'p50 ms', 'p99 ms', 'lost'], [['service', ms(p50), ms(p99), lost]]),
        targets: [{ text: `webhook delivery p50 < ${MAX_P50_MS} ms: ${ms(p50)} ms`, met: p50 < MAX_P50_MS && lost === 0 }],
      };
    } finally {
      // No later crossing goes to a receiver that is gone.
      await api(service, bench.apiKey, 'DELETE', `/v1/webhooks/${webhookId}`);
      await receiver.close();
    }
  },
};
