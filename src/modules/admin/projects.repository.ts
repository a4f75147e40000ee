import type { PrismaClient } from '../../lib/prisma.js';

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

    async addKey(projectId: string, key: { id: string; keyHash: string }, now: Date): Promise<void> {
      await prisma.apiKey.create({ data: { ...key, projectId, createdAt: now } });
    },

    /** Revokes a key (again is a no-op) and returns its hash; null when there is no such key. */
    async revokeKey(id: string, now: Date): Promise<string | null> {
      const key = await prisma.apiKey.findUnique({ where: { id }, select: { keyHash: true, revokedAt: true } });
      if (!key) return null;
      if (!key.revokedAt) await prisma.apiKey.update({ where: { id }, data: { revokedAt: now } });
      return key.keyHash;
    },

    async findActiveKey(keyHash: string): Promise<ApiKeyOwner | null> {
      const key = await prisma.apiKey.findFirst({ where: { keyHash, revokedAt: null }, select: { id: true, projectId: true } });
      return key ? { apiKeyId: key.id, projectId: key.projectId } : null;
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
