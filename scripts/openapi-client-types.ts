// Renders packages/client/src/openapi-types.ts from openapi.yaml with openapi-typescript, byte for byte as
// its CLI does (`npm run client:generate`). Shared by `npm run openapi` (scripts/write-openapi.ts)
// and the test that fails when the committed client types are stale (test/clients/client.test.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/** Where the committed client types live. */
export const CLIENT_TYPES_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'client', 'src', 'openapi-types.ts');

/** The TypeScript types of the document `yaml` (the text of openapi.yaml). */
export async function generateClientTypes(yaml: string): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(yaml, { silent: true }));
}
