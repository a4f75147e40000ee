import { EXAMPLE } from '../../lib/examples.js';
import { z } from 'zod';
import {
  JsonObjectInputSchema,
  JsonObjectSchema,
  ListQuerySchema,
  NameSchema,
  TimestampSchema,
  toOptionalTimestamp,
  toTimestamp,
} from '../../lib/wire.js';
import { TokenBudgetSchema } from '../sessions/sessions.schemas.js';
import { MAX_TOKENS_PER_UPDATE, UsageResultSchema } from '../usage/usage.schemas.js';
import type { Reservation } from './reservations.repository.js';

export const DEFAULT_TTL_SECONDS = 300;
export const MAX_TTL_SECONDS = 3600;

export const RESERVATION_STATUSES = ['held', 'committed', 'released', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const ReservationStatusSchema = z
  .enum(RESERVATION_STATUSES)
  .meta({ id: 'ReservationStatus', description: 'held (counts in reserved until expires_at) · committed · released · expired' });

export const CreateReservationBodySchema = z
  .strictObject({
    tokens: z.int().min(1).max(MAX_TOKENS_PER_UPDATE).describe("The call's estimate: prompt tokens + max_tokens"),
    ttl_seconds: z.int().min(1).max(MAX_TTL_SECONDS).optional().describe(`Default ${DEFAULT_TTL_SECONDS}`),
    source: NameSchema.optional().describe('Free text: which agent or call holds this'),
    metadata: JsonObjectInputSchema.optional(),
  })
  .meta({ id: 'CreateReservationRequest', examples: [{ tokens: 4000, ttl_seconds: 300, source: 'planner' }] });

export const ReservationSchema = z
  .object({
    reservation_id: z.string(),
    session_id: z.string(),
    tokens: z.int(),
    status: ReservationStatusSchema.describe('A hold past expires_at is expired from that instant'),
    source: z.string().nullable(),
    metadata: JsonObjectSchema,
    expires_at: TimestampSchema,
    created_at: TimestampSchema,
    resolved_at: TimestampSchema.nullable().describe('When it was committed, released or marked expired'),
    release_reason: z
      .enum(['client', 'archived', 'emergency_recovery', 'merged'])
      .nullable()
      .describe('Who released it: the client, or the end of the session (archive, emergency recovery, merge)'),
  })
  .meta({ id: 'Reservation' });

export const ReservationGrantSchema = ReservationSchema.extend({
  token_budget: TokenBudgetSchema.describe("The session's budget with this hold counted in reserved"),
}).meta({ id: 'ReservationGrant' });

export const CommitResultSchema = UsageResultSchema.extend({ reservation: ReservationSchema }).meta({ id: 'CommitResult' });

export const ReservationParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'The reservation id (reservation_id)', examples: [EXAMPLE.reservationId] }),
});

export const ListReservationsQuerySchema = ListQuerySchema.extend({
  status: z.enum(RESERVATION_STATUSES).optional().describe('Only the reservations in this status (a hold past expires_at is expired)'),
});

export function reservationWire(reservation: Reservation): z.infer<typeof ReservationSchema> {
  return {
    reservation_id: reservation.id,
    session_id: reservation.sessionId,
    tokens: reservation.tokens,
    status: reservation.status,
    source: reservation.source,
    metadata: reservation.metadata,
    expires_at: toTimestamp(reservation.expiresAt),
    created_at: toTimestamp(reservation.createdAt),
    resolved_at: toOptionalTimestamp(reservation.resolvedAt),
    release_reason: reservation.releaseReason,
  };
}
