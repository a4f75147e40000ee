// Load drivers: one autocannon run against a server, bounded by its duration and a per-request timeout.
import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) requests per second over the whole run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx responses plus connection errors and timeouts: any of them makes the run suspect. */
  failures: number;
  /** CPU time the server process spent per request (user + system), in ms: steadier than req/s on a busy machine. */
  cpuMsPerRequest: number;
}

export interface PostLoad {
  baseUrl: string;
  headers: Record<string, string>;
  /** The paths requests go to; each request picks one at random. */
  paths: string[];
  body: string;
  connections: number;
  seconds: number;
}

const REQUEST_TIMEOUT_S = 10;

/** `load.cpuMs` reads the server's CPU time, so the result can say what each request cost it. */
export async function drivePosts(load: PostLoad & { cpuMs: () => number }): Promise<LoadResult> {
  const cpuBefore = load.cpuMs();
  const { paths } = load;
  const result = await autocannon({
    url: load.baseUrl,
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
  const completed = result.requests.total;
  const cpuMs = load.cpuMs() - cpuBefore;
  return {
    cpuMsPerRequest: cpuMs / completed,
    rps: (completed - result.non2xx) / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: completed,
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
