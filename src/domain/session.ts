import type { JsonObject } from '../lib/wire.js';
import type { CountMode } from './token-classes.js';

export const SESSION_STATUSES = ['active', 'resumed', 'recovering', 'emergency_recovery', 'archived'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** A session as the services see it: camelCase, numbers, no Prisma types. */
export interface Session {
  id: string;
  projectId: string;
  taskId: string;
  /** The caller's own name for the session, unique in its project (set at create; OTLP telemetry uses it). */
  externalId: string | null;
  model: string;
  status: SessionStatus;
  total: number;
  used: number;
  /** Tokens in the live holds counting on this session (computed at read time: expiry is exact). */
  reserved: number;
  thresholds: number[];
  nonCriticalKeys: string[];
  context: JsonObject;
  deferredContext: JsonObject;
  metadata: JsonObject;
  parentSessionId: string | null;
  forkCheckpointId: string | null;
  recoveredFromSessionId: string | null;
  /** Set on a session archived by emergency recovery: the session that carries it on. */
  recoveredToSessionId: string | null;
  /** The final checkpoint of the emergency recovery that created this session. */
  recoveryCheckpointId: string | null;
  /** Set on a fork once it has been merged into its parent. */
  mergedIntoSessionId: string | null;
  checkpointsCount: number;
  /** What the budget counts: every class, or every class but cache reads. */
  countMode: CountMode;
  /** Exact decimals (USD): the sum of the usage rows' cost, and the optional limit. */
  costUsedUsd: string;
  costLimitUsd: string | null;
  /** Percentages of the cost limit whose crossing emits session.cost_threshold_crossed. */
  costThresholds: number[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
  lastResumedAt: Date | null;
  lastRecoveryAt: Date | null;
  archivedAt: Date | null;
}
