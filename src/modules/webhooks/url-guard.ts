/**
 * Keeps webhook deliveries away from private networks (SSRF): a URL is checked when it is
 * registered, and every address is checked again when a delivery connects, so a DNS answer
 * that changes in between (DNS rebinding) still cannot reach a private address.
 */
import { promises as dnsPromises, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

/** The addresses (IPv4 or IPv6 text) a hostname resolves to. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export interface UrlGuardOptions {
  allowPrivateNetworks: boolean;
  /** null: do not resolve names (registration checks literals only; connections check names). */
  resolve?: ResolveHost | null;
}

export type UrlCheck = { ok: true; addresses: string[] } | { ok: false; reason: string };

export interface GuardedDispatcherOptions {
  allowPrivateNetworks: boolean;
  /** Bounds connecting, waiting for headers and waiting between body chunks alike. */
  timeoutMs: number;
  /** Replaces the system resolver; for tests. */
  resolve?: ResolveHost;
}

/** The error a guarded connection fails with when the host is, or resolves to, a non-public address. */
export class WebhookAddressRefusedError extends Error {
  override name = 'WebhookAddressRefusedError';
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
}

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

const RANGE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique local address',
  unspecified: 'the unspecified address',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  rfc6052: 'a local-use NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
};

export const defaultResolveHost: ResolveHost = async (hostname) => (await dnsPromises.lookup(hostname, { all: true })).map((entry) => entry.address);

export interface NonPublicAddress {
  /** The address judged: an IPv6 address that embeds an IPv4 one is judged as the IPv4 inside it. */
  address: string;
  /** E.g. "a private address". */
  description: string;
}

/**
 * IPv6 forms that carry an IPv4 address in their last 32 bits, besides IPv4-mapped ::ffff:0:0/96
 * (which ipaddr.process unwraps): IPv4-compatible ::/96 (deprecated by RFC 4291; ipaddr.js calls it
 * unicast), IPv4-translated ::ffff:0:0:0/96 (RFC 6145) and the well-known NAT64 prefix
 * 64:ff9b::/96 (RFC 6052), which a NAT64 gateway turns into that IPv4 address.
 */
const EMBEDDING_PREFIXES: readonly { prefix: [ipaddr.IPv6, number]; description: string | null }[] = [
  { prefix: ipaddr.IPv6.parseCIDR('::/96'), description: 'an IPv4-compatible address (deprecated)' },
  { prefix: ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96'), description: 'an IPv4-translated address' },
  // Reaches the IPv4 address it embeds, as that address would be reached: judged as it.
  { prefix: ipaddr.IPv6.parseCIDR('64:ff9b::/96'), description: null },
];

function embeddedIPv4(address: ipaddr.IPv6): { ipv4: string; description: string | null } | null {
  const [, , , , , , high, low] = address.parts as [number, number, number, number, number, number, number, number];
  const embedding = EMBEDDING_PREFIXES.find(({ prefix }) => address.match(prefix));
  if (embedding === undefined) return null;
  return { ipv4: `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`, description: embedding.description };
}

/** Why `address` may not be reached, or null for a public unicast address. */
export function nonPublicAddress(address: string): NonPublicAddress | null {
  if (!ipaddr.isValid(address)) return { address, description: 'not an IP address' };
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range === 'unspecified' || range === 'loopback') return { address: parsed.toString(), description: RANGE_DESCRIPTIONS[range]! };
  const embedded = parsed.kind() === 'ipv6' ? embeddedIPv4(parsed as ipaddr.IPv6) : null;
  if (embedded !== null) {
    const inner = nonPublicAddress(embedded.ipv4);
    if (inner !== null) return inner;
    return embedded.description === null ? null : { address: parsed.toString(), description: embedded.description };
  }
  if (range === 'unicast') return null;
  return { address: parsed.toString(), description: RANGE_DESCRIPTIONS[range] ?? `a non-public address (${range})` };
}

/** Whether `url` may receive webhooks: http(s), no credentials, and only public addresses. */
export async function checkWebhookUrl(url: string, { allowPrivateNetworks, resolve = defaultResolveHost }: UrlGuardOptions): Promise<UrlCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'is not a valid URL' };
  }
  if (!ALLOWED_PROTOCOLS.has(parsed.protocol)) {
    return { ok: false, reason: `uses ${parsed.protocol}, only http: and https: are allowed` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'must not contain a user name or password' };
  }
  const hostname = unbracket(parsed.hostname);
  if (hostname === '') return { ok: false, reason: 'has no host' };

  let addresses: string[];
  if (isIP(hostname) !== 0) {
    addresses = [hostname];
  } else if (resolve === null) {
    // localhost names are loopback by definition (RFC 6761), whatever a resolver would say later.
    const loopbackName = hostname === 'localhost' || hostname.endsWith('.localhost');
    if (loopbackName && !allowPrivateNetworks) return { ok: false, reason: `${hostname} is a loopback name` };
    return { ok: true, addresses: [] };
  } else {
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      return { ok: false, reason: `cannot resolve ${hostname} (${errorCode(error)})` };
    }
    if (addresses.length === 0) return { ok: false, reason: `${hostname} resolves to no address` };
  }
  if (allowPrivateNetworks) return { ok: true, addresses };

  for (const address of addresses) {
    const refused = nonPublicAddress(address);
    if (refused !== null) return { ok: false, reason: refusalReason(hostname, refused) };
  }
  return { ok: true, addresses };
}

/**
 * An undici Agent for deliveries. Unless private networks are allowed, every connection checks
 * the address it is about to use, whether an IP literal or a fresh DNS answer, and fails with
 * WebhookAddressRefusedError instead of connecting to a non-public one.
 */
export function createGuardedHttpAgent({ allowPrivateNetworks, timeoutMs, resolve }: GuardedDispatcherOptions): Agent {
  const timeouts = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
  if (allowPrivateNetworks) {
    const lookup = resolve === undefined ? {} : { lookup: lookupFrom(resolve, true) };
    return new Agent({ ...timeouts, connect: { timeout: timeoutMs, ...lookup } });
  }
  const connectSocket = buildConnector({ timeout: timeoutMs, lookup: lookupFrom(resolve ?? defaultResolveHost, false) });
  const connect: buildConnector.connector = (options, callback) => {
    // net.connect skips the lookup function for IP literals, so those are checked here.
    const hostname = unbracket(options.hostname);
    if (isIP(hostname) !== 0) {
      const refused = nonPublicAddress(hostname);
      if (refused !== null) {
        callback(new WebhookAddressRefusedError(`refusing to connect: ${refusalReason(hostname, refused)}`), null);
        return;
      }
    }
    connectSocket(options, callback);
  };
  return new Agent({ ...timeouts, connect });
}

/**
 * A net.connect `lookup` that resolves with `resolve` and, unless private networks are allowed,
 * fails when any answer is non-public. Node calls it with `{ all: true }` when it races address
 * families (autoSelectFamily, on by default since Node 20) and expects an array then; otherwise
 * it expects `(error, address, family)`.
 */
function lookupFrom(resolve: ResolveHost, allowPrivateNetworks: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: Parameters<LookupFunction>[2]) => {
    resolve(hostname).then(
      (resolved) => {
        const wantedFamily = options.family === 4 || options.family === 6 ? options.family : 0;
        const answers: LookupAddress[] = resolved
          .map((address) => ({ address, family: isIP(address) }))
          .filter(({ family }) => family !== 0 && (wantedFamily === 0 || family === wantedFamily));
        const first = answers[0];
        if (first === undefined) {
          callback(lookupError(hostname, 'ENOTFOUND', `${hostname} resolves to no usable address`), []);
          return;
        }
        if (!allowPrivateNetworks) {
          for (const { address } of answers) {
            const refused = nonPublicAddress(address);
            if (refused !== null) {
              const message = `refusing to connect: ${refusalReason(hostname, refused)}`;
              callback(new WebhookAddressRefusedError(message), []);
              return;
            }
          }
        }
        if (options.all === true) callback(null, answers);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => {
        callback(lookupError(hostname, errorCode(error), `cannot resolve ${hostname}`), []);
      },
    );
  };
}

function lookupError(hostname: string, code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, hostname });
}

/** "example.com resolves to 10.0.0.5, a private address", "10.0.0.5 is a private address". */
function refusalReason(hostname: string, { address, description }: NonPublicAddress): string {
  if (isIP(hostname) === 0) return `${hostname} resolves to ${address}, ${description}`;
  if (address === hostname) return `${hostname} is ${description}`;
  return `${hostname} maps to ${address}, ${description}`;
}

/** URL.hostname keeps the brackets around an IPv6 literal; net and ipaddr.js want it bare. */
function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function errorCode(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}
