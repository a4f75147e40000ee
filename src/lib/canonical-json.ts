// The one canonical form of JSON in the service: RFC 8785 (JCS). Checkpoint digests and
// Idempotency-Key request hashes both use it, so two equal documents never differ by key order or
// spacing. For a value JSON.parse made, RFC 8785 is JSON.stringify with every object's keys sorted
// by UTF-16 code units, which is what safe-stable-stringify's deterministic mode writes, at a
// quarter of the cost of a JCS library on a 64 KiB snapshot (test/unit/canonical-json.test.ts holds
// it to the RFC's reference implementation). It throws on NaN and ±Infinity; lone surrogates, which
// RFC 8785 refuses too, are refused where JSON bodies are parsed.
import { configure } from 'safe-stable-stringify';
import { sha256Hex } from './hash.js';

export interface JsonDigest {
  /** The canonical JSON itself. */
  canonical: string;
  /** SHA-256 of the canonical JSON, hex. */
  sha256: string;
  /** Bytes of the canonical JSON in UTF-8. */
  sizeBytes: number;
}

const stringify = configure({ deterministic: true, strict: true, circularValue: TypeError, bigint: false });

/** The RFC 8785 text of `value`; `undefined` (no JSON value at all) canonicalizes as `null`. */
export const canonicalJson = (value: unknown): string => stringify(value) ?? 'null';

export const canonicalSizeBytes = (value: unknown): number => Buffer.byteLength(canonicalJson(value), 'utf8');

export function digestJson(value: unknown): JsonDigest {
  const canonical = canonicalJson(value);
  return { canonical, sha256: sha256Hex(canonical), sizeBytes: Buffer.byteLength(canonical, 'utf8') };
}
