import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, toOptionalTimestamp, toTimestamp } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
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
    spec_id: z.string().meta({ description: 'The spec', examples: [EXAMPLE.specId] }),
    depends_on: z.array(z.string()).meta({ description: 'The specs it waits for', examples: [[]] }),
    status: SpecStatusSchema,
    session_id: z.string().nullable().describe('The session created for this spec when it started; null until then'),
    started_at: TimestampSchema.nullable().describe('When it started (got its session); null until then'),
    finished_at: TimestampSchema.nullable().describe('When it completed, failed or was blocked'),
  })
  .meta({ id: 'OrchestrationNode', description: 'One spec of an orchestration and where it stands' });

export const ExplorationSchema = z
  .object({
    spec_id: z.string().meta({ description: 'The spec explored', examples: [EXAMPLE.specId] }),
    session_id: z.string().meta({ description: "The fork of the spec's session", examples: [EXAMPLE.forkSessionId] }),
    created_at: TimestampSchema.describe('When the fork was made'),
  })
  .meta({ id: 'Exploration', description: "A fork of a spec's session, made to explore an alternative" });

export const OrchestrationSchema = z
  .object({
    orchestration_id: z.string().meta({ description: 'The orchestration id (`orch_` and 32 hex digits)', examples: [EXAMPLE.orchestrationId] }),
    status: OrchestrationStatusSchema,
    max_parallel_sessions: z.int().meta({ description: 'How many specs may run at once', examples: [3] }),
    nodes: z.array(OrchestrationNodeSchema).describe('In the order the specs were given'),
    ready: z
      .array(z.string())
      .describe(
        'Specs whose dependencies are all complete and that have not finished, in the order the specs were given: the running ones ' +
          '(they have a session) and those waiting only for a free slot (max_parallel_sessions), which start as running specs complete or fail',
      ),
    explorations: z.array(ExplorationSchema).describe('Forks of spec sessions made through explore, oldest first'),
    created_at: TimestampSchema.describe('When it was created'),
    updated_at: TimestampSchema.describe('When it last changed'),
    completed_at: TimestampSchema.nullable().describe('When the orchestration became completed or failed'),
  })
  .meta({ id: 'Orchestration', description: 'A dependency graph of specs, each run in its own session' });

const SpecIdSchema = NameSchema.meta({ description: 'The spec: 1–256 characters, unique within the orchestration', examples: [EXAMPLE.specId] });

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
      .meta({ description: 'Spec ids of this orchestration that must complete before this one starts, each once; default []', examples: [[]] }),
  })
  .meta({ id: 'OrchestrationSpec', description: 'A spec and what it depends on' });

export const CreateOrchestrationBodySchema = z
  .strictObject({
    specs: z.array(SpecSchema).min(1).max(MAX_SPECS).describe('The graph: 1 to 200 specs, each naming the specs it depends on'),
    max_parallel_sessions: z
      .int()
      .min(1)
      .max(MAX_SPECS)
      .default(DEFAULT_MAX_PARALLEL_SESSIONS)
      .describe(`How many specs may run (have a session) at once; default ${DEFAULT_MAX_PARALLEL_SESSIONS}`),
  })
  .meta({
    id: 'CreateOrchestrationRequest',
    examples: [
      {
        specs: [
          { spec_id: EXAMPLE.specId, depends_on: [] },
          { spec_id: 'implement', depends_on: [EXAMPLE.specId] },
          { spec_id: 'write-docs', depends_on: [EXAMPLE.specId] },
          { spec_id: 'release', depends_on: ['implement', 'write-docs'] },
        ],
        max_parallel_sessions: 2,
      },
    ],
  });

const OrchestrationIdSchema = z
  .string()
  .min(1)
  .max(256)
  .meta({ description: 'The orchestration id', examples: [EXAMPLE.orchestrationId] });
export const OrchestrationParamsSchema = z.strictObject({ id: OrchestrationIdSchema });
export const SpecParamsSchema = z.strictObject({
  id: OrchestrationIdSchema,
  spec_id: NameSchema.meta({ description: 'A spec of the orchestration', examples: [EXAMPLE.specId] }),
});

export const ListOrchestrationsQuerySchema = ListQuerySchema.extend({
  status: z.enum(ORCHESTRATION_STATUSES).optional().describe('Only orchestrations in this status'),
});

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
