// `npm run otlp:definitions`: regenerates src/modules/otlp/otlp-definitions.json from the
// opentelemetry-proto files of the installed OTLP_PROTO_PACKAGE (after upgrading it, say).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOtlpDefinitions, OTLP_DEFINITIONS_PATH } from './otlp-definitions.js';

const name = path.relative(process.cwd(), OTLP_DEFINITIONS_PATH);
const content = generateOtlpDefinitions();
if ((await readFile(OTLP_DEFINITIONS_PATH, 'utf8').catch(() => undefined)) === content) {
  console.log(`${name} is up to date.`);
} else {
  await writeFile(OTLP_DEFINITIONS_PATH, content);
  console.log(`Wrote ${name}.`);
}
