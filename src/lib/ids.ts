import { uuidv7 } from 'uuidv7';

export type IdPrefix = 'proj' | 'key' | 'sess' | 'use' | 'ckpt' | 'hoff' | 'orch' | 'wh' | 'evt' | 'dlv' | 'att' | 'lease' | 'rsv';

/** A time-ordered id: `sess_` + the 32 hex digits of a UUIDv7 (same format as SQL `new_id`). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}

/**
 * When an id was made: the UUIDv7's first 48 bits are milliseconds since the epoch. Null for
 * anything that is not `<prefix>_` and 32 hex digits.
 */
export function idTimestamp(id: string, prefix: IdPrefix): Date | null {
  const match = new RegExp(`^${prefix}_([0-9a-f]{12})[0-9a-f]{20}$`).exec(id);
  return match ? new Date(Number.parseInt(match[1]!, 16)) : null;
}
