import type { FastifyInstance } from 'fastify';

/** Routes whose bodies are a few small fields (counts, ids, names): a larger body is a mistake or abuse. */
export const SMALL_BODY_LIMIT_BYTES = 16_384;
/** Room for the checkpoint request around its snapshot (phase, field names, JSON escapes of short strings). */
export const CHECKPOINT_ENVELOPE_BYTES = 65_536;

/** By operationId: routes whose bodies are a few small fields. */
export const SMALL_BODY_OPERATIONS: ReadonlySet<string> = new Set([
  'recordUsage',
  'resumeSession',
  'archiveSession',
  'forkSession',
  'mergeFork',
  'recoverSession',
  'restoreCheckpoint',
  'acceptHandoff',
  'rejectHandoff',
  'completeSpec',
  'failSpec',
  'exploreSpec',
  'rotateWebhookSecret',
  'testWebhook',
  'retryWebhookDelivery',
  'createProject',
  'createApiKey',
]);
const CHECKPOINT_OPERATION = 'createCheckpoint';

/**
 * Per-route body limits, set as routes are registered (call before registering them): small for
 * the routes above, the snapshot limit plus an envelope for checkpoints, BODY_LIMIT_BYTES for the
 * rest. A larger body is a 413 problem before it is parsed.
 */
export function bodyLimits(app: FastifyInstance, { checkpointMaxBytes }: { checkpointMaxBytes: number }): void {
  app.addHook('onRoute', (route) => {
    const operationId = route.schema?.operationId;
    if (operationId === undefined || route.bodyLimit !== undefined) return;
    if (SMALL_BODY_OPERATIONS.has(operationId)) route.bodyLimit = SMALL_BODY_LIMIT_BYTES;
    else if (operationId === CHECKPOINT_OPERATION) route.bodyLimit = checkpointMaxBytes + CHECKPOINT_ENVELOPE_BYTES;
  });
}
