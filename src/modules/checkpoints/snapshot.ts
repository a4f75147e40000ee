// A checkpoint's integrity: the SHA-256 of its snapshot's canonical JSON (RFC 8785), so any client
// can recompute it, and key order or spacing in storage never changes it.
import canonicalize from 'canonicalize';
import { sha256Hex } from '../../lib/hash.js';
import type { JsonObject } from '../../lib/wire.js';

export interface SnapshotDigest {
  sha256: string;
  sizeBytes: number;
}

/** The size a checkpoint of `snapshot` would count against CHECKPOINT_MAX_BYTES. */
export function snapshotSizeBytes(snapshot: JsonObject): number {
  return Buffer.byteLength(canonicalize(snapshot) ?? '{}', 'utf8');
}

export function digestSnapshot(snapshot: JsonObject): SnapshotDigest {
  const canonical = canonicalize(snapshot) ?? '{}';
  return { sha256: sha256Hex(canonical), sizeBytes: Buffer.byteLength(canonical, 'utf8') };
}
