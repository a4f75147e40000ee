// The service's MCP tools: one entry each in MCP_TOOLS, with an input schema built from the very zod
// schemas the REST routes validate with, and a `run` that calls the same service the route calls
// and answers the route's wire shape. Problems the services throw (AppError) become tool errors in
// plugins/mcp.ts. To add a tool, add an entry.
import { z } from 'zod';
import { levelOf } from '../../domain/budget.js';
import {
  CheckpointParamsSchema,
  CreateCheckpointBodySchema,
  ListCheckpointsQuerySchema,
  checkpointWire,
} from '../checkpoints/checkpoints.schemas.js';
import type { CheckpointsService } from '../checkpoints/checkpoints.service.js';
import { CreateHandoffBodySchema, HandoffParamsSchema, handoffWire } from '../handoffs/handoffs.schemas.js';
import type { HandoffsService } from '../handoffs/handoffs.service.js';
import { IdempotencyHeadersSchema, requestHash } from '../idempotency/idempotency-key.js';
import { ForkBodySchema, MergeBodySchema, emergencyRecoveryWire } from '../lifecycle/lifecycle.schemas.js';
import type { LifecycleService } from '../lifecycle/lifecycle.service.js';
import { SessionParamsSchema, sessionWire, tokenBudgetWire } from '../sessions/sessions.schemas.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { RecordUsageBodySchema, usageResultWire } from '../usage/usage.schemas.js';
import type { UsageService } from '../usage/usage.service.js';
import { CreateReservationBodySchema, ReservationParamsSchema, reservationWire } from '../reservations/reservations.schemas.js';
import type { ReservationsService } from '../reservations/reservations.service.js';
import { NameSchema, pageWire } from '../../lib/wire.js';
import { decodeCursor } from '../../lib/wire.js';

export interface McpToolServices {
  sessions: Pick<SessionsService, 'get'>;
  usage: Pick<UsageService, 'record' | 'budget'>;
  checkpoints: Pick<CheckpointsService, 'create' | 'list' | 'restore'>;
  lifecycle: Pick<LifecycleService, 'fork' | 'merge' | 'emergencyRecover'>;
  handoffs: Pick<HandoffsService, 'create' | 'accept'>;
  reservations: Pick<ReservationsService, 'reserve' | 'commit' | 'release'>;
}

export interface McpTool<S extends z.ZodType = z.ZodType> {
  name: string;
  /** One line an agent can act on: what it does and when to call it. */
  description: string;
  input: S;
  /** Reads only (MCP's readOnlyHint). */
  readOnly?: boolean;
  run(services: McpToolServices, projectId: string, args: z.output<S>): Promise<unknown>;
}

const tool = <S extends z.ZodType>(definition: McpTool<S>): McpTool => definition as unknown as McpTool;

// The REST routes take these ids from the path; a tool takes them as arguments, named as in the bodies.
const sessionId = { session_id: SessionParamsSchema.shape.id.describe('Session id (sess_…)') };
const SessionInputSchema = z.strictObject(sessionId);
const reservationId = { reservation_id: ReservationParamsSchema.shape.id };

/** The budget as GET /v1/sessions/{id}/budget answers it (its route maps it inline; the same mapping here). */
export async function budgetWire(usage: Pick<UsageService, 'budget'>, projectId: string, id: string) {
  const { session, ageSeconds, recommendations, forecast } = await usage.budget(projectId, id);
  return {
    session_id: session.id,
    token_budget: tokenBudgetWire(session.total, session.used, session.reserved),
    level: levelOf(session.used, session.total),
    thresholds: session.thresholds,
    session_age_seconds: ageSeconds,
    recommendations,
    forecast: { tokens_per_update: forecast.tokensPerUpdate, updates_until: forecast.updatesUntil, seconds_until: forecast.secondsUntil },
  };
}

export const MCP_TOOLS: readonly McpTool[] = [
  tool({
    name: 'get_session',
    description: 'Get a session: status, token budget, level, context and deferred context.',
    input: SessionInputSchema,
    readOnly: true,
    run: async ({ sessions }, projectId, args) => sessionWire(await sessions.get(projectId, args.session_id)),
  }),
  tool({
    name: 'get_budget',
    description: 'Get the token budget: used/available, level, recommendations and a burn-rate forecast. Check it before a costly step.',
    input: SessionInputSchema,
    readOnly: true,
    run: ({ usage }, projectId, args) => budgetWire(usage, projectId, args.session_id),
  }),
  tool({
    name: 'record_usage',
    description:
      'Count the tokens of a model call against the budget; says which thresholds (75%, 85%) it crossed. Same idempotency_key: counted once.',
    input: RecordUsageBodySchema.safeExtend({
      ...sessionId,
      idempotency_key: IdempotencyHeadersSchema.shape['idempotency-key'],
    }),
    run: async ({ usage }, projectId, { session_id, idempotency_key, ...body }) => {
      // The same request hash as the REST route's, so a key means the same thing over both.
      const hash = requestHash({ method: 'POST', url: `/v1/sessions/${encodeURIComponent(session_id)}/usage`, body });
      const result = await usage.record(
        projectId,
        session_id,
        { tokens: body.tokens, inputTokens: body.input_tokens, outputTokens: body.output_tokens, model: body.model, source: body.source },
        idempotency_key === undefined ? undefined : { key: idempotency_key, requestHash: hash },
      );
      return usageResultWire(result);
    },
  }),
  tool({
    name: 'reserve_tokens',
    // Held 300 s (the REST default): the tools/list budget has no room for ttl_seconds.
    description: "Hold a call's estimated tokens first (300 s); BUDGET_EXHAUSTED if they do not fit.",
    input: CreateReservationBodySchema.pick({ tokens: true }).safeExtend(sessionId),
    run: async ({ reservations }, projectId, { session_id, tokens }) => {
      const grant = await reservations.reserve(projectId, session_id, { tokens });
      return { ...reservationWire(grant.reservation), token_budget: tokenBudgetWire(grant.total, grant.used, grant.reserved) };
    },
  }),
  tool({
    name: 'commit_reservation',
    // The tokens the call used, as one count: the REST commit takes every usage body, but tools/list has no room for its schema.
    description: "Record the call's tokens (as record_usage) and end its hold.",
    input: z.strictObject({ ...reservationId, tokens: CreateReservationBodySchema.shape.tokens.describe('Tokens the call used'), model: NameSchema.optional() }),
    run: async ({ reservations }, projectId, { reservation_id, ...body }) => {
      const hash = requestHash({ method: 'POST', url: `/v1/reservations/${encodeURIComponent(reservation_id)}/commit`, body });
      const input = { tokens: body.tokens, model: body.model };
      const { result, reservation } = await reservations.commit(projectId, reservation_id, input, hash);
      return { ...usageResultWire(result), reservation: reservationWire(reservation) };
    },
  }),
  tool({
    name: 'release_reservation',
    description: 'End a hold unused.',
    input: z.strictObject(reservationId),
    run: async ({ reservations }, projectId, args) => reservationWire(await reservations.release(projectId, args.reservation_id)),
  }),
  tool({
    name: 'create_checkpoint',
    description: "Checkpoint the session's context (or the snapshot given) before a risky step; restore it later.",
    input: CreateCheckpointBodySchema.safeExtend(sessionId),
    run: async ({ checkpoints }, projectId, args) =>
      checkpointWire(await checkpoints.create(projectId, args.session_id, { phase: args.phase, contextSnapshot: args.context_snapshot })),
  }),
  tool({
    name: 'list_checkpoints',
    description: "List a session's checkpoints, newest first (next_cursor pages on).",
    input: ListCheckpointsQuerySchema.safeExtend(sessionId),
    readOnly: true,
    run: async ({ checkpoints }, projectId, { session_id, limit, cursor, phase }) =>
      pageWire(await checkpoints.list(projectId, session_id, limit, { beforeId: decodeCursor(cursor, 'ckpt'), phase }), checkpointWire),
  }),
  tool({
    name: 'restore_checkpoint',
    description: "Make a checkpoint's snapshot the session's context again (verified by SHA-256); status becomes active.",
    input: z.strictObject({ checkpoint_id: CheckpointParamsSchema.shape.id.describe('Checkpoint id (ckpt_…)') }),
    run: async ({ checkpoints }, projectId, args) => sessionWire(await checkpoints.restore(projectId, args.checkpoint_id)),
  }),
  tool({
    name: 'fork_session',
    description: 'Fork a child session from a checkpoint (default the latest) with a fresh budget, to try an alternative.',
    input: ForkBodySchema.safeExtend(sessionId),
    run: async ({ lifecycle }, projectId, { session_id, ...body }) =>
      sessionWire(
        await lifecycle.fork(projectId, session_id, { checkpointId: body.checkpoint_id, taskId: body.task_id, total: body.token_budget?.total }),
      ),
  }),
  tool({
    name: 'merge_session',
    description: "Merge a fork's context back into this session (its parent); the fork is archived.",
    input: MergeBodySchema.safeExtend(sessionId),
    run: async ({ lifecycle }, projectId, args) =>
      sessionWire(await lifecycle.merge(projectId, args.session_id, args.fork_session_id, args.strategy)),
  }),
  tool({
    name: 'emergency_recovery',
    description: 'Near the budget limit: checkpoint, archive the session and continue in a new one with a fresh budget and the context.',
    input: SessionInputSchema,
    run: async ({ lifecycle }, projectId, args) => emergencyRecoveryWire(await lifecycle.emergencyRecover(projectId, args.session_id)),
  }),
  tool({
    name: 'create_handoff',
    description: 'Hand the session to another agent: a package with context, task and recovery info (needs >30,000 tokens available).',
    input: CreateHandoffBodySchema,
    run: async ({ handoffs }, projectId, args) =>
      handoffWire(
        await handoffs.create(projectId, {
          fromAgent: args.from_agent,
          toAgent: args.to_agent,
          sessionId: args.session_id,
          taskContext: args.task_context,
        }),
      ),
  }),
  tool({
    name: 'accept_handoff',
    description: 'Accept a pending handoff addressed to you, once.',
    input: z.strictObject({ handoff_id: HandoffParamsSchema.shape.id.describe('Handoff id (hoff_…)') }),
    run: async ({ handoffs }, projectId, args) => handoffWire(await handoffs.accept(projectId, args.handoff_id)),
  }),
];
