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
