import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newApiKey, sha256Hex } from '../../lib/hash.js';
import { newId } from '../../lib/ids.js';
import { isUniqueViolation } from '../../lib/prisma-errors.js';
import type { ApiKeyOwner, ProjectsRepository } from './projects.repository.js';

export const DEFAULT_PROJECT_NAME = 'default';

export interface IssuedKey {
  apiKeyId: string;
  projectId: string;
  apiKey: string;
  createdAt: Date;
  /** From this instant the key no longer authenticates; null: never. */
  expiresAt: Date | null;
}

export interface ProjectsServiceDeps {
  projects: ProjectsRepository;
  clock: Clock;
  /** How long a verified key is trusted without asking the database again; 0 disables. */
  authCacheTtlMs: number;
}

export function createProjectsService({ projects, clock, authCacheTtlMs }: ProjectsServiceDeps) {
  // Verified keys, so that the usage hot path does not pay a lookup per request. Revocation here
  // evicts at once; other replicas are told by NOTIFY and call forgetVerifiedKeys() (see forgetRevokedKeys in plugins/auth.ts),
  // and authCacheTtlMs bounds what a replica that missed the notification keeps trusting.
  const verified = new Map<string, { owner: ApiKeyOwner; expiresAt: number }>();
  // Bumped by every forget: a lookup that started before a revocation's notification must not
  // cache what it read (the key may be revoked by now).
  let generation = 0;

  async function issueKey(projectId: string, { apiKey = newApiKey(), expiresAt }: { apiKey?: string; expiresAt?: Date } = {}): Promise<IssuedKey> {
    const apiKeyId = newId('key');
    const createdAt = clock.now();
    if (expiresAt !== undefined && expiresAt.getTime() <= createdAt.getTime()) {
      throw new AppError('VALIDATION_FAILED', {
        detail: `body.expires_at: must be in the future (it is ${createdAt.toISOString()} now)`,
        errors: [{ path: 'body.expires_at', message: `must be in the future (it is ${createdAt.toISOString()} now)` }],
      });
    }
    await projects.addKey(projectId, { id: apiKeyId, keyHash: sha256Hex(apiKey), ...(expiresAt ? { expiresAt } : {}) }, createdAt);
    return { apiKeyId, projectId, apiKey, createdAt, expiresAt: expiresAt ?? null };
  }

  async function createProject(name: string, apiKey = newApiKey()): Promise<IssuedKey & { name: string }> {
    const projectId = newId('proj');
    const apiKeyId = newId('key');
    const createdAt = clock.now();
    await projects.createProjectWithKey({ id: projectId, name }, { id: apiKeyId, keyHash: sha256Hex(apiKey) }, createdAt);
    return { projectId, name, apiKeyId, apiKey, createdAt, expiresAt: null };
  }

  return {
    createProject,

    /** Another key for the project; with `expiresAt` (in the future) it stops authenticating then. */
    async createKey(projectId: string, expiresAt?: Date): Promise<IssuedKey> {
      if (!(await projects.projectExists(projectId))) throw notFound('project', projectId);
      return issueKey(projectId, expiresAt ? { expiresAt } : {});
    },

    async revokeKey(apiKeyId: string): Promise<void> {
      const keyHash = await projects.revokeKey(apiKeyId, clock.now());
      if (!keyHash) throw notFound('api key', apiKeyId);
      generation += 1;
      verified.delete(keyHash);
    },

    /** Drops every cached verification: the next request of each key asks the database again. */
    forgetVerifiedKeys(): void {
      generation += 1;
      verified.clear();
    },

    /** The owner of a key verified within AUTH_CACHE_TTL_MS (and not expired since), from memory only. */
    recentlyVerified(apiKey: string): ApiKeyOwner | null {
      const cached = verified.get(sha256Hex(apiKey));
      return cached && cached.expiresAt > clock.now().getTime() ? cached.owner : null;
    },

    async authenticate(apiKey: string): Promise<ApiKeyOwner | null> {
      const keyHash = sha256Hex(apiKey);
      const cached = verified.get(keyHash);
      const nowMs = clock.now().getTime();
      if (cached && cached.expiresAt > nowMs) return cached.owner;
      const lookedUpIn = generation;
      const key = await projects.findActiveKey(keyHash, new Date(nowMs));
      if (!key) {
        verified.delete(keyHash);
        return null;
      }
      const owner = { apiKeyId: key.apiKeyId, projectId: key.projectId };
      // Trusted for AUTH_CACHE_TTL_MS, and never past the key's own expiry.
      const trustedUntil = Math.min(nowMs + authCacheTtlMs, key.expiresAt?.getTime() ?? Infinity);
      if (authCacheTtlMs > 0 && lookedUpIn === generation) verified.set(keyHash, { owner, expiresAt: trustedUntil });
      else verified.delete(keyHash);
      return owner;
    },

    /**
     * On start: make sure BOOTSTRAP_API_KEY opens the `default` project, or, on a database with no
     * key at all, create that project with a new key. Returns the new key only when one was made.
     */
    async bootstrap(bootstrapApiKey: string | undefined): Promise<IssuedKey | null> {
      if (bootstrapApiKey) {
        if (await projects.keyHashExists(sha256Hex(bootstrapApiKey))) return null;
        const existing = await projects.findProjectByName(DEFAULT_PROJECT_NAME);
        try {
          if (existing) await issueKey(existing.id, { apiKey: bootstrapApiKey });
          else await createProject(DEFAULT_PROJECT_NAME, bootstrapApiKey);
        } catch (error) {
          // Another replica starting at the same moment stored the same key first.
          if (!isUniqueViolation(error)) throw error;
        }
        return null;
      }
      if (await projects.hasAnyKey()) return null;
      return createProject(DEFAULT_PROJECT_NAME);
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
