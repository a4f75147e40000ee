// The load generator: one autocannon run of POSTs, bounded by its duration and a per-request timeout.
import autocannon from 'autocannon';
import type { Load } from './measure.js';

export interface PostLoad {
  /** One server, or replicas: the connections are spread over them in turn. */
  urls: string[];
  headers: Record<string, string>;
  /** The paths requests go to; each request picks one at random. */
  paths: string[];
  body: string;
  connections: number;
  seconds: number;
}

const REQUEST_TIMEOUT_S = 10;

export async function drivePosts(load: PostLoad): Promise<Load> {
  const { paths } = load;
  const result = await autocannon({
    url: load.urls,
    connections: load.connections,
    duration: load.seconds,
    timeout: REQUEST_TIMEOUT_S,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...load.headers },
        body: load.body,
        setupRequest: (request) => ({ ...request, path: paths[Math.floor(Math.random() * paths.length)] }),
      },
    ],
  });
  return {
    ops: result.requests.total - result.non2xx,
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
