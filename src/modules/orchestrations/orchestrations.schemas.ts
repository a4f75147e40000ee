import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, toOptionalTimestamp, toTimestamp } from '../../lib/wire.js';
import { NODE_STATUSES, ORCHESTRATION_STATUSES, readySpecs } from './graph.js';
import type { Orchestration } from './orchestrations.repository.js';

export const MAX_SPECS = 200;
export const DEFAULT_MAX_PARALLEL_SESSIONS = 3;

export const OrchestrationStatusSchema = z.enum(ORCHESTRATION_STATUSES).meta({
  id: 'OrchestrationStatus',
  description: 'running while any spec is pending or running; then completed if every spec completed, else failed',
});

export const SpecStatusSchema = z.enum(NODE_STATUSES).meta({
  id: 'SpecStatus',
  description:
    'pending: waiting for its dependencies or a free slot · running: has a session · completed / failed: as reported · ' +
    'blocked: a dependency failed (or is blocked), so it can never start',
});

export const OrchestrationNodeSchema = z
  .object({
    spec_id: z.string(),
    depends_on: z.array(z.string()),
    status: SpecStatusSchema,
    session_id: z.string().nullable().describe('The session created for this spec when it started; null until then'),
    started_at: TimestampSchema.nullable(),
    finished_at: TimestampSchema.nullable().describe('When it completed, failed or was blocked'),
  })
  .meta({ id: 'OrchestrationNode' });

export const ExplorationSchema = z
  .object({
    spec_id: z.string(),
    session_id: z.string().describe("The fork of the spec's session"),
    created_at: TimestampSchema,
  })
  .meta({ id: 'Exploration' });

export const OrchestrationSchema = z
  .object({
    orchestration_id: z.string(),
    status: OrchestrationStatusSchema,
    max_parallel_sessions: z.int(),
    nodes: z.array(OrchestrationNodeSchema).describe('In the order the specs were given'),
    ready: z
      .array(z.string())
      .describe(
        'Specs whose dependencies are all complete and that have not finished, in the order the specs were given: the running ones ' +
          '(they have a session) and those waiting only for a free slot (max_parallel_sessions), which start as running specs complete or fail',
      ),
    explorations: z.array(ExplorationSchema).describe('Forks of spec sessions made through explore, oldest first'),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    completed_at: TimestampSchema.nullable().describe('When the orchestration became completed or failed'),
  })
  .meta({ id: 'Orchestration' });

const SpecIdSchema = NameSchema.describe('1–256 characters, unique within the orchestration');

export const SpecSchema = z
  .strictObject({
    spec_id: SpecIdSchema,
    depends_on: z
      .array(NameSchema)
      .max(MAX_SPECS)
      .superRefine((ids, ctx) => {
        ids.forEach((id, i) => {
          if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats spec ${JSON.stringify(id)}` });
        });
      })
      .default([])
      .describe('Spec ids of this orchestration that must complete before this one starts, each once; default []'),
  })
  .meta({ id: 'OrchestrationSpec' });

export const CreateOrchestrationBodySchema = z
  .strictObject({
    specs: z.array(SpecSchema).min(1).max(MAX_SPECS),
    max_parallel_sessions: z
      .int()
      .min(1)
      .max(MAX_SPECS)
      .default(DEFAULT_MAX_PARALLEL_SESSIONS)
      .describe(`How many specs may run (have a session) at once; default ${DEFAULT_MAX_PARALLEL_SESSIONS}`),
  })
  .meta({ id: 'CreateOrchestrationRequest' });

export const OrchestrationParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });
export const SpecParamsSchema = z.strictObject({ id: z.string().min(1).max(256), spec_id: NameSchema });

export const ListOrchestrationsQuerySchema = ListQuerySchema.extend({ status: OrchestrationStatusSchema.optional() });

export type OrchestrationWire = z.infer<typeof OrchestrationSchema>;

export function orchestrationWire(orchestration: Orchestration): OrchestrationWire {
  return {
    orchestration_id: orchestration.id,
    status: orchestration.status,
    max_parallel_sessions: orchestration.maxParallelSessions,
    nodes: orchestration.nodes.map((node) => ({
      spec_id: node.specId,
      depends_on: node.dependsOn,
      status: node.status,
      session_id: node.sessionId,
      started_at: toOptionalTimestamp(node.startedAt),
      finished_at: toOptionalTimestamp(node.finishedAt),
    })),
    ready: readySpecs(orchestration.nodes),
    explorations: orchestration.explorations.map((exploration) => ({
      spec_id: exploration.specId,
      session_id: exploration.sessionId,
      created_at: toTimestamp(exploration.createdAt),
    })),
    created_at: toTimestamp(orchestration.createdAt),
    updated_at: toTimestamp(orchestration.updatedAt),
    completed_at: toOptionalTimestamp(orchestration.completedAt),
  };
}
