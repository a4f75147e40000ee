import { notFound } from '../../lib/errors.js';
import type { LineageNode, LineageRepository } from './lineage.repository.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';

export interface Lineage {
  sessionId: string;
  rootSessionId: string;
  ancestors: LineageNode[];
  descendants: LineageNode[];
}

export function createLineageService({ sessions, lineage }: { sessions: Pick<SessionsRepository, 'find'>; lineage: LineageRepository }) {
  return {
    /** Where a session comes from and what came from it, through forks and emergency recoveries. */
    async of(projectId: string, sessionId: string): Promise<Lineage> {
      if (!(await sessions.find(projectId, sessionId))) throw notFound('session', sessionId);
      const nodes = await lineage.lineage(projectId, sessionId);
      const ancestors = nodes.filter((node) => node.direction === 'ancestor');
      return {
        sessionId,
        rootSessionId: ancestors.at(-1)?.sessionId ?? sessionId,
        ancestors,
        descendants: nodes.filter((node) => node.direction === 'descendant'),
      };
    },
  };
}

export type LineageService = ReturnType<typeof createLineageService>;
