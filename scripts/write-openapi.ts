// `npm run openapi`: regenerates openapi.yaml from the app's routes and zod schemas, then the
// client's types (packages/client/src/openapi-types.ts) from openapi.yaml, so the two never drift apart.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLIENT_TYPES_PATH, generateClientTypes } from './openapi-client-types.js';
import { generateOpenApiYaml, OPENAPI_YAML_PATH } from './openapi-document.js';

/** Writes `content` to `file` unless it is already there; says which. */
async function writeIfChanged(file: string, content: string): Promise<void> {
  const previous = await readFile(file, 'utf8').catch(() => undefined);
  const name = path.relative(process.cwd(), file) || file;
  if (previous === content) {
    console.log(`${name} is up to date.`);
    return;
  }
  await writeFile(file, content);
  console.log(`Wrote ${name}.`);
}

async function main(): Promise<void> {
  const yaml = await generateOpenApiYaml();
  await writeIfChanged(OPENAPI_YAML_PATH, yaml);
  await writeIfChanged(CLIENT_TYPES_PATH, await generateClientTypes(yaml));
}

main().catch((error: unknown) => {
  console.error('openapi failed:', error);
  process.exit(1);
});
