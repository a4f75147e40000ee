import { z } from 'zod';
import { NameSchema, TimestampSchema } from '../../lib/wire.js';
import type { IssuedKey } from './projects.service.js';

export const CreateProjectBodySchema = z.strictObject({ name: NameSchema }).meta({ id: 'CreateProjectRequest' });

export const CreatedProjectSchema = z
  .object({
    project_id: z.string(),
    name: z.string(),
    api_key_id: z.string(),
    api_key: z.string().describe('Shown only here: store it now'),
    created_at: TimestampSchema,
  })
  .meta({ id: 'CreatedProject' });

export const CreateApiKeyBodySchema = z
  .strictObject({
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('RFC 3339 timestamp in the future: from then on the key no longer authenticates (401). Omitted: it never expires'),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const CreatedApiKeySchema = z
  .object({
    api_key_id: z.string(),
    project_id: z.string(),
    api_key: z.string().describe('Shown only here: store it now'),
    created_at: TimestampSchema,
    expires_at: TimestampSchema.nullable().describe('When the key stops authenticating; null: never'),
  })
  .meta({ id: 'CreatedApiKey' });

export const ProjectParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });
export const ApiKeyParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });

/** A key as issued: the only response that ever shows the key itself. */
export function issuedKeyWire(key: { apiKeyId: string; projectId: string; apiKey: string; createdAt: Date }) {
  return { api_key_id: key.apiKeyId, project_id: key.projectId, api_key: key.apiKey, created_at: key.createdAt.toISOString() };
}

export function createdApiKeyWire(key: IssuedKey): z.infer<typeof CreatedApiKeySchema> {
  return { ...issuedKeyWire(key), expires_at: key.expiresAt ? key.expiresAt.toISOString() : null };
}
