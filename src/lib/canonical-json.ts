// The one canonical form of JSON in the service: RFC 8785 (JCS), through `canonicalize`. Checkpoint
// digests and Idempotency-Key request hashes both use it, so two equal documents never differ by
// key order or spacing. It throws on what JSON cannot carry (NaN, ±Infinity, lone surrogates):
// validation refuses those before they get here.
import canonicalize from 'canonicalize';
import { sha256Hex } from './hash.js';

export interface JsonDigest {
  /** The canonical JSON itself. */
  canonical: string;
  /** SHA-256 of the canonical JSON, hex. */
  sha256: string;
  /** Bytes of the canonical JSON in UTF-8. */
  sizeBytes: number;
}

/** The RFC 8785 text of `value`; `undefined` (no JSON value at all) canonicalizes as `null`. */
export const canonicalJson = (value: unknown): string => canonicalize(value) ?? 'null';

export const canonicalSizeBytes = (value: unknown): number => Buffer.byteLength(canonicalJson(value), 'utf8');

export function digestJson(value: unknown): JsonDigest {
  const canonical = canonicalJson(value);
  return { canonical, sha256: sha256Hex(canonical), sizeBytes: Buffer.byteLength(canonical, 'utf8') };
}
