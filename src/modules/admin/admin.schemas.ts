import { z } from 'zod';
import { EXAMPLE } from '../../lib/examples.js';
import { NameSchema, TimestampSchema } from '../../lib/wire.js';
import type { IssuedKey } from './projects.service.js';

export const CreateProjectBodySchema = z
  .strictObject({ name: NameSchema.meta({ description: 'What to call the project (1–256 characters)', examples: ['checkout-agents'] }) })
  .meta({ id: 'CreateProjectRequest', examples: [{ name: 'checkout-agents' }] });

const ApiKeySchema = z.string().meta({
  description: 'Shown only here: store it now. Send it as `Authorization: Bearer <api key>`',
  examples: ['sss_q8V0xkJ3o2b8X1YtQm9eLr7sWc4nHd6uPz1aG5fT2yE'],
});

export const CreatedProjectSchema = z
  .object({
    project_id: z.string().meta({ description: 'The project id', examples: [EXAMPLE.projectId] }),
    name: z.string().meta({ description: 'Its name', examples: ['checkout-agents'] }),
    api_key_id: z.string().meta({ description: 'The id of its first API key (to revoke it)', examples: [EXAMPLE.apiKeyId] }),
    api_key: ApiKeySchema,
    created_at: TimestampSchema.describe('When it was created'),
  })
  .meta({ id: 'CreatedProject', description: 'A new project and its first API key' });

export const CreateApiKeyBodySchema = z
  .strictObject({
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('RFC 3339 timestamp in the future: from then on the key no longer authenticates (401). Omitted: it never expires'),
  })
  .meta({ id: 'CreateApiKeyRequest', examples: [{ expires_at: '2099-01-01T00:00:00Z' }] });

export const CreatedApiKeySchema = z
  .object({
    api_key_id: z.string().meta({ description: 'The id of the key (to revoke it)', examples: [EXAMPLE.apiKeyId] }),
    project_id: z.string().meta({ description: 'Its project', examples: [EXAMPLE.projectId] }),
    api_key: ApiKeySchema,
    created_at: TimestampSchema.describe('When it was issued'),
    expires_at: TimestampSchema.nullable().describe('When the key stops authenticating; null: never'),
  })
  .meta({ id: 'CreatedApiKey', description: 'A new API key' });

export const ProjectParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'The project id', examples: [EXAMPLE.projectId] }),
});
export const ApiKeyParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'The API key id (api_key_id)', examples: [EXAMPLE.apiKeyId] }),
});

/** A key as issued: the only response that ever shows the key itself. */
export function issuedKeyWire(key: { apiKeyId: string; projectId: string; apiKey: string; createdAt: Date }) {
  return { api_key_id: key.apiKeyId, project_id: key.projectId, api_key: key.apiKey, created_at: key.createdAt.toISOString() };
}

export function createdApiKeyWire(key: IssuedKey): z.infer<typeof CreatedApiKeySchema> {
  return { ...issuedKeyWire(key), expires_at: key.expiresAt ? key.expiresAt.toISOString() : null };
}
