import { sha256Hex } from '../../lib/hash.js';
import { MAX_NAME_LENGTH } from '../../lib/wire.js';

const FORK_PREFIX = 'fork_';
/** Hex digits of the SHA-256 of the whole id kept after a cut: tells apart ids that share their first characters. */
const HASH_DIGITS = 12;

export const FORK_TASK_ID_DEFAULT =
  "Default `fork_<parent task_id>`; a fork of a fork keeps its parent's task_id (the prefix is not stacked). " +
  'One that would pass 256 characters is cut to 256: its first 243 characters, `~` and 12 hex digits of its SHA-256.';

/**
 * The task_id of a fork made without one: `fork_` and the parent's, once (forks of forks keep
 * theirs, so that a chain of forks does not grow its ids), within the 256 characters every task_id
 * is held to, so that `GET /v1/sessions?task_id=` finds it.
 */
export function forkTaskId(parentTaskId: string): string {
  const taskId = parentTaskId.startsWith(FORK_PREFIX) ? parentTaskId : `${FORK_PREFIX}${parentTaskId}`;
  if (taskId.length <= MAX_NAME_LENGTH) return taskId;
  let head = taskId.slice(0, MAX_NAME_LENGTH - HASH_DIGITS - 1);
  // Never half a surrogate pair: a lone surrogate is not text.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}~${sha256Hex(taskId).slice(0, HASH_DIGITS)}`;
}
