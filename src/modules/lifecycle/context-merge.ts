// How a merge folds a fork's context into the session it was forked from.
import type { JsonObject } from '../../lib/wire.js';

export const MERGE_STRATEGIES = ['shallow', 'deep'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `shallow`: the fork's top-level keys replace the kept session's (the reference's dict.update).
 * `deep`: objects present on both sides merge key by key; anything else (arrays included) is the fork's.
 * Keys only the kept session has are always kept.
 */
export function mergeContexts(kept: JsonObject, fork: JsonObject, strategy: MergeStrategy): JsonObject {
  if (strategy === 'shallow') return { ...kept, ...fork };
  const merged = new Map(Object.entries(kept));
  for (const [key, value] of Object.entries(fork)) {
    const current = merged.get(key);
    merged.set(key, isObject(current) && isObject(value) ? mergeContexts(current, value, 'deep') : value);
  }
  // fromEntries defines own properties: a "__proto__" key stays data, never a prototype.
  return Object.fromEntries(merged);
}
