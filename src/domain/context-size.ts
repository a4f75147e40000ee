// A session's context must stay small enough to be checkpointed (CHECKPOINT_MAX_BYTES): whatever
// grows it (creation, PATCH merges, fork merges) is refused past that, so that a session can always
// be checkpointed, recovered and PATCHed small again.
import { canonicalSizeBytes } from '../lib/canonical-json.js';
import { AppError } from '../lib/errors.js';
import type { JsonObject } from '../lib/wire.js';

/** 413 CONTEXT_TOO_LARGE for a context no checkpoint of at most `maxContextBytes` could hold. */
export function assertCheckpointable(context: JsonObject, maxContextBytes: number): void {
  const sizeBytes = canonicalSizeBytes(context);
  if (sizeBytes > maxContextBytes) {
    throw new AppError('CONTEXT_TOO_LARGE', {
      detail: `the context would be ${sizeBytes} bytes of canonical JSON; a checkpoint holds at most ${maxContextBytes}`,
    });
  }
}
