// The service's MCP tools: one entry each in MCP_TOOLS, with an input schema built from the very zod
// schemas the REST routes validate with, and a `run` that calls the same service the route calls
// and answers the route's wire shape. Problems the services throw (AppError) become tool errors in
// plugins/mcp.ts. To add a tool, add an entry.
import { z } from 'zod';
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
import { RecordUsageBodySchema, usageInputOf, budgetWire, usageResultWire } from '../usage/usage.schemas.js';
import type { UsageService } from '../usage/usage.service.js';
import { CreateReservationBodySchema, reservationWire } from '../reservations/reservations.schemas.js';
import type { ReservationsService } from '../reservations/reservations.service.js';
import { pageWire } from '../../lib/wire.js';
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
// Without the path's length bounds (the listing's token cost): an id that names nothing is 404 anyway.
const reservationId = { reservation_id: z.string() };

/** The budget as GET /v1/sessions/{id}/budget answers it. */
export const budgetOf = async (usage: Pick<UsageService, 'budget'>, projectId: string, id: string) => budgetWire(await usage.budget(projectId, id));

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
    run: ({ usage }, projectId, args) => budgetOf(usage, projectId, args.session_id),
  }),
  tool({
    name: 'record_usage',
    description:
      'Count the tokens of a model call against the budget; says which thresholds (75%, 85%) it crossed. Same idempotency_key: counted once.',
    // The REST body's rules, with descriptions cut to what an agent needs (the listing's token cost).
    input: RecordUsageBodySchema.safeExtend({
      tokens: RecordUsageBodySchema.shape.tokens.describe('Tokens of the call; or input_tokens + output_tokens; or provider + usage'),
      input_tokens: RecordUsageBodySchema.shape.input_tokens.meta({ description: undefined }),
      output_tokens: RecordUsageBodySchema.shape.output_tokens.meta({ description: undefined }),
      usage: RecordUsageBodySchema.shape.usage.describe("The provider's usage object, verbatim"),
      model: RecordUsageBodySchema.shape.model.describe('The model called'),
      source: RecordUsageBodySchema.shape.source.describe('Who reported it'),
      ...sessionId,
      idempotency_key: IdempotencyHeadersSchema.shape['idempotency-key'].describe('Same key and body: counted once'),
    }),
    run: async ({ usage }, projectId, { session_id, idempotency_key, ...body }) => {
      // The same request hash as the REST route's, so a key means the same thing over both.
      const hash = requestHash({ method: 'POST', url: `/v1/sessions/${encodeURIComponent(session_id)}/usage`, body });
      const result = await usage.record(
        projectId,
        session_id,
        usageInputOf(body),
        idempotency_key === undefined ? undefined : { key: idempotency_key, requestHash: hash },
      );
      return usageResultWire(result);
    },
  }),
  tool({
    name: 'reserve_tokens',
    // Held 300 s (the REST default): the tools/list budget has no room for ttl_seconds.
    description: "Hold a call's estimated tokens (300 s); BUDGET_EXHAUSTED if they do not fit.",
    input: CreateReservationBodySchema.pick({ tokens: true }).safeExtend(sessionId),
    run: async ({ reservations }, projectId, { session_id, tokens }) => {
      const grant = await reservations.reserve(projectId, session_id, { tokens });
      return { ...reservationWire(grant.reservation), token_budget: tokenBudgetWire(grant.total, grant.used, grant.reserved) };
    },
  }),
  tool({
    name: 'commit_reservation',
    // record_usage's body; its fields are described there already (the listing's token cost).
    description: 'Record usage (as record_usage), end the hold.',
    input: RecordUsageBodySchema.safeExtend({
      tokens: RecordUsageBodySchema.shape.tokens.meta({ description: undefined }),
      input_tokens: RecordUsageBodySchema.shape.input_tokens.meta({ description: undefined }),
      output_tokens: RecordUsageBodySchema.shape.output_tokens.meta({ description: undefined }),
      provider: RecordUsageBodySchema.shape.provider.meta({ description: undefined }),
      usage: RecordUsageBodySchema.shape.usage.meta({ description: undefined }),
      model: RecordUsageBodySchema.shape.model.meta({ description: undefined }),
      source: RecordUsageBodySchema.shape.source.meta({ description: undefined }),
      ...reservationId,
    }),
    run: async ({ reservations }, projectId, { reservation_id, ...body }) => {
      const hash = requestHash({ method: 'POST', url: `/v1/reservations/${encodeURIComponent(reservation_id)}/commit`, body });
      const input = usageInputOf(body);
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
    input: ListCheckpointsQuerySchema.safeExtend({
      ...sessionId,
      cursor: ListCheckpointsQuerySchema.shape.cursor.describe("The previous page's next_cursor"),
      phase: ListCheckpointsQuerySchema.shape.phase.describe('Only this phase'),
    }),
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
    input: ForkBodySchema.safeExtend({ ...sessionId, task_id: ForkBodySchema.shape.task_id.describe('Default fork_<parent task_id>') }),
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
