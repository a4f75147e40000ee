import { AppError } from '../../lib/errors.js';
import { requestHash } from '../idempotency/idempotency-key.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { UsageService } from '../usage/usage.service.js';
import type { Session } from '../../domain/session.js';
import type { SessionRef, UsageItem } from './otlp-items.js';
import { recordedUsage } from './token-classes.js';

/** The `source` of every usage update made from telemetry. */
export const OTLP_SOURCE = 'otlp';
/** Rejection reasons listed in a partial_success message (the rest are counted in one clause). */
const MAX_LISTED_REASONS = 5;

export interface OtlpServiceDeps {
  usage: Pick<UsageService, 'record'>;
  sessions: Pick<SessionsService, 'findNamed' | 'findOrCreateByExternalId'>;
  /** OTLP_CREATE_SESSIONS: an unknown external id creates a session (else its items are rejected). */
  createSessions: boolean;
}

export interface IngestResult {
  /** Items that could not be used (they count nothing). */
  rejected: number;
  /** Why, for partial_success.error_message; undefined when nothing was rejected. */
  message: string | undefined;
  /** The usage updates counted now (replays of a retried batch excluded), for the metrics. */
  counted: { crossed: number[] }[];
}

type Resolution = { session: Session } | { reason: string };

const refKey = (ref: SessionRef) => `${ref.kind}:${ref.value}`;

export function createOtlpService({ usage, sessions, createSessions }: OtlpServiceDeps) {
  /** Every session the items name, looked up in two queries, the missing external ids then created one by one. */
  async function resolveSessions(projectId: string, refs: SessionRef[]): Promise<Map<string, Resolution>> {
    const ids = [...new Set(refs.filter((ref) => ref.kind === 'id').map((ref) => ref.value))];
    const externalIds = [...new Set(refs.filter((ref) => ref.kind === 'external').map((ref) => ref.value))];
    const found = await sessions.findNamed(projectId, { ids, externalIds });
    const resolved = new Map<string, Resolution>();
    for (const session of found) {
      resolved.set(refKey({ kind: 'id', value: session.id }), { session });
      if (session.externalId !== null) resolved.set(refKey({ kind: 'external', value: session.externalId }), { session });
    }
    for (const id of ids) {
      const key = refKey({ kind: 'id', value: id });
      if (!resolved.has(key)) resolved.set(key, { reason: `session ${id} does not exist in this project` });
    }
    for (const externalId of externalIds) {
      const key = refKey({ kind: 'external', value: externalId });
      if (resolved.has(key)) continue;
      if (!createSessions) {
        resolved.set(key, { reason: `no session has the external_id ${JSON.stringify(externalId)} (OTLP_CREATE_SESSIONS is off)` });
        continue;
      }
      // As POST /v1/sessions with no model or budget: the default model and its context window. The
      // telemetry's model name is kept on each usage row only, so a model the catalog lacks is no error here.
      const { session } = await sessions.findOrCreateByExternalId(projectId, externalId, {
        taskId: externalId,
        metadata: { created_by: OTLP_SOURCE },
      });
      resolved.set(key, { session });
    }
    return resolved;
  }

  return {
    /**
     * Counts each item's usage on its session through the usage hot path, one update per item,
     * under the item's identity as Idempotency-Key: in the same statement as the usage, so an item
     * sent again (an exporter retrying the batch) replays instead of counting. Items that cannot be
     * used are rejected with a reason; errors of the database itself propagate (the exporter retries).
     */
    async ingest(projectId: string, items: UsageItem[]): Promise<IngestResult> {
      const reasons = new Map<string, { count: number; example: string }>();
      const reject = (label: string, reason: string) => {
        const entry = reasons.get(reason) ?? { count: 0, example: label };
        entry.count += 1;
        reasons.set(reason, entry);
      };
      const usable = items.filter((item) => item.outcome === 'usage');
      for (const item of items) if (item.outcome === 'rejected') reject(item.label, item.reason);

      const resolved = await resolveSessions(
        projectId,
        usable.map((item) => item.session),
      );
      const counted: { crossed: number[] }[] = [];
      for (const item of usable) {
        const resolution = resolved.get(refKey(item.session))!;
        if ('reason' in resolution) {
          reject(item.label, resolution.reason);
          continue;
        }
        const sessionId = resolution.session.id;
        const { inputTokens, outputTokens } = recordedUsage(item.classes);
        // "The same request" for the item's key: the same usage on the same session (the hash is
        // unchanged since before classes were stored, so an item retried across an upgrade replays).
        const hash = requestHash({
          method: 'OTLP',
          url: item.origin,
          body: { session_id: sessionId, classes: item.classes, input_tokens: inputTokens, output_tokens: outputTokens, model: item.model },
        });
        try {
          const result = await usage.record(
            projectId,
            sessionId,
            {
              // The item's classes as they are: cache reads and writes counted and priced as such.
              classes: { ...item.classes, cacheWrite1h: 0 },
              model: item.model ?? undefined,
              source: OTLP_SOURCE,
              origin: item.origin,
            },
            { key: item.key, requestHash: hash },
          );
          if (!result.replayed) counted.push({ crossed: result.crossed });
        } catch (error) {
          // A retry of an item counted before its session was archived replays (the usage service sees to it).
          if (!(error instanceof AppError)) throw error;
          const reason =
            error.code === 'IDEMPOTENCY_KEY_REUSED'
              ? 'already counted with other token counts or on another session (an item is counted once, as first sent)'
              : (error.detail ?? error.message);
          reject(item.label, reason);
        }
      }

      const rejected = [...reasons.values()].reduce((sum, entry) => sum + entry.count, 0);
      return { rejected, message: rejected ? describeRejections(reasons) : undefined, counted };
    },
  };
}

/** `2 × no session: … (e.g. span 5b8e…/eee1…); 1 × session sess_… does not exist in this project (e.g. …)`. */
function describeRejections(reasons: Map<string, { count: number; example: string }>): string {
  const entries = [...reasons].sort((a, b) => b[1].count - a[1].count);
  const listed = entries.slice(0, MAX_LISTED_REASONS).map(([reason, { count, example }]) => `${count} × ${reason} (e.g. ${example})`);
  const others = entries.slice(MAX_LISTED_REASONS).reduce((sum, [, entry]) => sum + entry.count, 0);
  return listed.join('; ') + (others ? `; ${others} more for other reasons` : '');
}

export type OtlpService = ReturnType<typeof createOtlpService>;
