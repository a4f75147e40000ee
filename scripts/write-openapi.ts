// `npm run openapi`: regenerates openapi.yaml from the app's routes and zod schemas.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOpenApiYaml, OPENAPI_YAML_PATH } from './openapi-document.js';

async function main(): Promise<void> {
  const yaml = await generateOpenApiYaml();
  const previous = await readFile(OPENAPI_YAML_PATH, 'utf8').catch(() => undefined);
  const name = path.relative(process.cwd(), OPENAPI_YAML_PATH) || OPENAPI_YAML_PATH;
  if (previous === yaml) {
    console.log(`${name} is up to date.`);
    return;
  }
  await writeFile(OPENAPI_YAML_PATH, yaml);
  console.log(`Wrote ${name}.`);
}

main().catch((error: unknown) => {
  console.error('openapi failed:', error);
  process.exit(1);
});
