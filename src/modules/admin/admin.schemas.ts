import { z } from 'zod';
import { NameSchema, TimestampSchema } from '../../lib/wire.js';

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

export const CreatedApiKeySchema = z
  .object({
    api_key_id: z.string(),
    project_id: z.string(),
    api_key: z.string().describe('Shown only here: store it now'),
    created_at: TimestampSchema,
  })
  .meta({ id: 'CreatedApiKey' });

export const ProjectParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });
export const ApiKeyParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });

/** A key as issued: the only response that ever shows the key itself. */
export function issuedKeyWire(key: { apiKeyId: string; projectId: string; apiKey: string; createdAt: Date }) {
  return { api_key_id: key.apiKeyId, project_id: key.projectId, api_key: key.apiKey, created_at: key.createdAt.toISOString() };
}
