import { uuidv7 } from 'uuidv7';

export type IdPrefix = 'proj' | 'key' | 'sess' | 'use' | 'ckpt' | 'hoff' | 'orch' | 'wh' | 'evt' | 'dlv' | 'att' | 'lease';

/** A time-ordered id: `sess_` + the 32 hex digits of a UUIDv7 (same format as SQL `new_id`). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidv7().replaceAll('-', '')}`;
}
