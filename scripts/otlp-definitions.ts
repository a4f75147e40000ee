// The OTLP protobuf definitions the service decodes with, as a protobufjs JSON descriptor
// (src/modules/otlp/otlp-definitions.json), generated from the official opentelemetry-proto files
// that an npm package ships. `npm run otlp:definitions` rewrites it; a test fails when it is stale.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as protobuf from 'protobufjs';

/**
 * The npm package whose copy of open-telemetry/opentelemetry-proto (its `opentelemetry/` folder,
 * unmodified .proto files) is the source. A dev dependency only: production loads the descriptor.
 */
export const OTLP_PROTO_PACKAGE = '@elastic/mockotlpserver';
export const OTLP_DEFINITIONS_PATH = path.resolve(import.meta.dirname, '../src/modules/otlp/otlp-definitions.json');

/** The export services of OTLP/HTTP: traces and logs, with the messages they use. */
const ENTRY_FILES = ['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/logs/v1/logs_service.proto'];
/** gRPC services: OTLP/HTTP posts the request messages and needs none of them. */
const SERVICES = ['opentelemetry.proto.collector.trace.v1.TraceService', 'opentelemetry.proto.collector.logs.v1.LogsService'];

export function generateOtlpDefinitions(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve(`${OTLP_PROTO_PACKAGE}/package.json`);
  const packageDir = path.dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const readme = readFileSync(path.join(packageDir, 'opentelemetry/proto/collector/README.md'), 'utf8');
  const protoVersion = /tag\/hash (v\d+\.\d+\.\d+)/.exec(readme)?.[1] ?? 'unknown';

  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(packageDir, target);
  root.loadSync(ENTRY_FILES);
  for (const name of SERVICES) root.lookupService(name).parent!.remove(root.lookupService(name));
  const descriptor = {
    generatedFrom: `${OTLP_PROTO_PACKAGE}@${version}: opentelemetry-proto ${protoVersion} (${ENTRY_FILES.join(', ')})`,
    ...root.toJSON(),
  };
  return `${JSON.stringify(descriptor, null, 2)}\n`;
}
