import { Prisma, type PrismaClient } from '../../lib/prisma.js';

/** NOTIFY channel on which a revocation tells every replica to drop its cache of verified keys. */
export const API_KEYS_CHANNEL = 'api_keys_revoked';

export interface ApiKeyOwner {
  apiKeyId: string;
  projectId: string;
}

export function createProjectsRepository(prisma: PrismaClient) {
  return {
    async createProjectWithKey(project: { id: string; name: string }, key: { id: string; keyHash: string }, now: Date): Promise<void> {
      await prisma.project.create({
        data: { ...project, createdAt: now, apiKeys: { create: { ...key, createdAt: now } } },
      });
    },

    async projectExists(id: string): Promise<boolean> {
      return (await prisma.project.count({ where: { id } })) > 0;
    },

    async addKey(projectId: string, key: { id: string; keyHash: string; expiresAt?: Date }, now: Date): Promise<void> {
      await prisma.apiKey.create({ data: { ...key, projectId, createdAt: now } });
    },

    /**
     * Revokes a key (again is a no-op) and returns its hash; null when there is no such key. The
     * NOTIFY goes out when the revocation commits, to every replica listening on API_KEYS_CHANNEL.
     */
    async revokeKey(id: string, now: Date): Promise<string | null> {
      return prisma.$transaction(async (tx) => {
        const key = await tx.apiKey.findUnique({ where: { id }, select: { keyHash: true, revokedAt: true } });
        if (!key) return null;
        if (!key.revokedAt) await tx.apiKey.update({ where: { id }, data: { revokedAt: now } });
        // pg_notify returns void, which Prisma cannot read back: execute, do not query.
        await tx.$executeRaw(Prisma.sql`SELECT pg_notify(${API_KEYS_CHANNEL}, '')`);
        return key.keyHash;
      });
    },

    /** The owner of a key neither revoked nor expired at `now`, with the key's expiry (null: never). */
    async findActiveKey(keyHash: string, now: Date): Promise<(ApiKeyOwner & { expiresAt: Date | null }) | null> {
      const key = await prisma.apiKey.findFirst({
        where: { keyHash, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
        select: { id: true, projectId: true, expiresAt: true },
      });
      return key ? { apiKeyId: key.id, projectId: key.projectId, expiresAt: key.expiresAt } : null;
    },

    async hasAnyKey(): Promise<boolean> {
      return (await prisma.apiKey.count()) > 0;
    },

    async keyHashExists(keyHash: string): Promise<boolean> {
      return (await prisma.apiKey.count({ where: { keyHash } })) > 0;
    },

    async findProjectByName(name: string): Promise<{ id: string } | null> {
      return prisma.project.findFirst({ where: { name }, select: { id: true }, orderBy: { id: 'asc' } });
    },
  };
}

export type ProjectsRepository = ReturnType<typeof createProjectsRepository>;
