import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import { constantTimeEqual } from '../lib/hash.js';
import type { ApiKeyOwner } from '../modules/admin/projects.repository.js';
import type { FailedAuthLimiter } from './rate-limit.js';

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

export interface ApiKeyVerifier {
  /** The key's owner, from the cache or the database; null for a key unknown, revoked or expired. */
  authenticate(apiKey: string): Promise<ApiKeyOwner | null>;
  /** The owner of a key this replica verified recently (AUTH_CACHE_TTL_MS), without database work. */
  recentlyVerified(apiKey: string): ApiKeyOwner | null;
}

/**
 * Every route registered in `scope` needs `Authorization: Bearer <api key>` of a project. With
 * `failedAuth`, an address that failed too often is refused (429) before its key is looked up,
 * unless the key is one verified recently.
 */
export function requireApiKey(scope: FastifyInstance, keys: ApiKeyVerifier, failedAuth?: FailedAuthLimiter): void {
  scope.decorateRequest('auth', null as unknown as AuthContext);
  scope.addHook('onRequest', async (request) => {
    const apiKey = bearerToken(request.headers.authorization);
    if (failedAuth) {
      const retryAfter = await failedAuth.blockedFor(request);
      if (retryAfter !== undefined) {
        const owner = apiKey ? keys.recentlyVerified(apiKey) : null;
        if (!owner) throw failedAuth.refusal(retryAfter);
        request.auth = owner;
        return;
      }
    }
    const owner = apiKey ? await keys.authenticate(apiKey) : null;
    if (!owner) {
      await failedAuth?.failed(request);
      throw unauthorized(apiKey ? 'the API key is unknown, revoked or expired' : 'send Authorization: Bearer <api key>');
    }
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
