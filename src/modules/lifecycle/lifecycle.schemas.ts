import { z } from 'zod';
import { NameSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import { CheckpointSchema, checkpointWire } from '../checkpoints/checkpoints.schemas.js';
import { MERGE_STRATEGIES } from './context-merge.js';
import { FORK_TASK_ID_DEFAULT } from './fork-task-id.js';
import type { EmergencyRecovery } from './lifecycle.service.js';
import type { Lineage } from './lineage.service.js';
import type { LineageNode } from './lineage.repository.js';
import { SessionSchema, SessionStatusSchema, TotalSchema, sessionWire } from '../sessions/sessions.schemas.js';

export const ForkBodySchema = z
  .strictObject({
    checkpoint_id: NameSchema.optional().meta({
      description: 'A checkpoint of this session; default its latest (or, without one, the current context)',
      examples: [EXAMPLE.checkpointId],
    }),
    task_id: NameSchema.optional().meta({ description: FORK_TASK_ID_DEFAULT, examples: ['try-alternative-parser'] }),
    token_budget: z.strictObject({ total: TotalSchema }).optional().describe("Default the parent's total; used starts at 0"),
  })
  .meta({ id: 'ForkSessionRequest', examples: [{ task_id: 'try-alternative-parser', token_budget: { total: 100000 } }] });

export const MergeBodySchema = z
  .strictObject({
    fork_session_id: NameSchema.meta({
      description: 'A fork of this session (its parent_session_id is this session)',
      examples: [EXAMPLE.forkSessionId],
    }),
    strategy: z
      .enum(MERGE_STRATEGIES)
      .default('shallow')
      .describe("shallow: the fork's top-level keys win; deep: objects merge key by key, the fork winning on conflicts"),
  })
  .meta({ id: 'MergeSessionRequest', examples: [{ fork_session_id: EXAMPLE.forkSessionId, strategy: 'deep' }] });

export const EmergencyRecoverySchema = z
  .object({
    original_session_id: z.string().meta({ description: 'The session recovered, now archived', examples: [EXAMPLE.sessionId] }),
    checkpoint: CheckpointSchema.describe('The final checkpoint of the original (phase `emergency_recovery`)'),
    new_session: SessionSchema.describe("The session that carries the work on, with a fresh budget and the checkpoint's context"),
  })
  .meta({ id: 'EmergencyRecovery', description: 'What an emergency recovery did' });

export const LineageNodeSchema = z
  .object({
    session_id: z.string().meta({ description: 'A session of the lineage', examples: [EXAMPLE.forkSessionId] }),
    task_id: z.string().meta({ description: 'Its task', examples: ['try-alternative-parser'] }),
    status: SessionStatusSchema,
    depth: z.int().describe('1 for a parent or a child, 2 for the generation beyond, …'),
    relation: z.enum(['fork', 'recovery']).nullable().describe('How this session came from from_session_id'),
    from_session_id: z.string().nullable().describe('The session it was forked or recovered from; null for the root'),
    fork_checkpoint_id: z.string().nullable().describe('For a fork, the checkpoint it started from'),
    merged_into_session_id: z.string().nullable().describe('For a merged fork, the session it was merged into'),
    created_at: TimestampSchema.describe('When the session was created'),
  })
  .meta({ id: 'LineageNode', description: 'One session of a lineage' });

export const LineageSchema = z
  .object({
    session_id: z.string().meta({ description: 'The session asked about', examples: [EXAMPLE.sessionId] }),
    root_session_id: z.string().describe('The oldest ancestor (the session itself when it has none)'),
    ancestors: z.array(LineageNodeSchema).describe('Nearest first'),
    descendants: z.array(LineageNodeSchema).describe('By generation, then oldest first'),
  })
  .meta({ id: 'Lineage', description: 'Where a session comes from and what came of it, through forks and recoveries' });

export function emergencyRecoveryWire(recovery: EmergencyRecovery): z.infer<typeof EmergencyRecoverySchema> {
  return {
    original_session_id: recovery.originalSessionId,
    checkpoint: checkpointWire(recovery.checkpoint),
    new_session: sessionWire(recovery.newSession),
  };
}

function lineageNodeWire(node: LineageNode): z.infer<typeof LineageNodeSchema> {
  return {
    session_id: node.sessionId,
    task_id: node.taskId,
    status: node.status,
    depth: node.depth,
    relation: node.relation,
    from_session_id: node.fromSessionId,
    fork_checkpoint_id: node.forkCheckpointId,
    merged_into_session_id: node.mergedIntoSessionId,
    created_at: toTimestamp(node.createdAt),
  };
}

export function lineageWire(lineage: Lineage): z.infer<typeof LineageSchema> {
  return {
    session_id: lineage.sessionId,
    root_session_id: lineage.rootSessionId,
    ancestors: lineage.ancestors.map(lineageNodeWire),
    descendants: lineage.descendants.map(lineageNodeWire),
  };
}
