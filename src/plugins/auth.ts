import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import { constantTimeEqual } from '../lib/hash.js';
import type { ApiKeyOwner } from '../modules/admin/projects.repository.js';

export type AuthContext = ApiKeyOwner;

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

const unauthorized = (detail: string) => new AppError('UNAUTHORIZED', { detail, headers: { 'www-authenticate': 'Bearer' } });

/**
 * An onRequest hook that lets through only `Authorization: Bearer <token>` of one static secret
 * (ADMIN_TOKEN, METRICS_TOKEN), compared in constant time; `name` says which in the 401.
 */
export function requireStaticToken(token: string, name: string): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const sent = bearerToken(request.headers.authorization);
    if (!sent || !constantTimeEqual(sent, token)) throw unauthorized(`send Authorization: Bearer <${name}>`);
  };
}

/** Every route registered in `scope` needs `Authorization: Bearer <api key>` of a project. */
export function requireApiKey(scope: FastifyInstance, authenticate: (apiKey: string) => Promise<ApiKeyOwner | null>): void {
  scope.decorateRequest('auth', null as unknown as AuthContext);
  scope.addHook('onRequest', async (request) => {
    const apiKey = bearerToken(request.headers.authorization);
    if (!apiKey) throw unauthorized('send Authorization: Bearer <api key>');
    const owner = await authenticate(apiKey);
    if (!owner) throw unauthorized('the API key is unknown, revoked or expired');
    request.auth = owner;
  });
}

export interface RevocationListener {
  /** Subscribes to the revocations' NOTIFY; returns the unsubscribe. */
  listen(onNotify: () => void): Promise<() => Promise<void>>;
  forgetVerifiedKeys(): void;
  authCacheTtlMs: number;
}

/**
 * With the API key cache on, a revocation on any replica must reach this one at once: its commit
 * NOTIFYs, and this replica then drops every cached verification. Should the listening connection
 * be lost, the cache is dropped again on reconnecting (missed notifications), and AUTH_CACHE_TTL_MS
 * bounds the gap meanwhile.
 */
export async function forgetRevokedKeys(app: FastifyInstance, { listen, forgetVerifiedKeys, authCacheTtlMs }: RevocationListener): Promise<void> {
  if (authCacheTtlMs === 0) return;
  try {
    const unlisten = await listen(() => forgetVerifiedKeys());
    app.addHook('onClose', async () => unlisten());
  } catch (error) {
    app.log.warn({ err: error }, `cannot listen for API key revocations; other replicas' revocations take up to ${authCacheTtlMs} ms here`);
  }
}
