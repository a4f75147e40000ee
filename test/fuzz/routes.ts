// Every route the app serves, from the app itself, joined with its OpenAPI operation when it has one.
import type { JsonSchema } from './arbitraries.js';

export interface QueryParam {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Route {
  method: string;
  /** Fastify form: `/v1/sessions/:id`. */
  url: string;
  params: string[];
  /** The OpenAPI operation; absent for routes hidden from the document (Swagger UI, /openapi.json). */
  operation?: {
    operationId: string;
    admin: boolean;
    public: boolean;
    body?: { schema: JsonSchema; required: boolean; contentTypes: string[] };
    query: QueryParam[];
    /** Response schemas by status; null for a documented status without a JSON body (204). */
    responses: Record<string, JsonSchema | null>;
  };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
  security?: Record<string, unknown>[];
}

interface OpenApiOperation {
  operationId: string;
  security?: Record<string, unknown>[];
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}

/** `printRoutes({ commonPrefix: false })` draws a tree; this reads it back into full paths and methods. */
export function parseRouteTree(tree: string): { url: string; methods: string[] }[] {
  const stack: string[] = [];
  const routes: { url: string; methods: string[] }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^(.*?)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const url = (depth > 0 ? stack[depth - 1]! : '') + match[2]!;
    stack[depth] = url;
    stack.length = depth + 1;
    if (match[3]) routes.push({ url, methods: match[3].split(',').map((m) => m.trim()) });
  }
  return routes;
}

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

export function routesOf(tree: string, document: OpenApiDocument): Route[] {
  const routes: Route[] = [];
  for (const { url, methods } of parseRouteTree(tree)) {
    const params = [...url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
    for (const method of methods) {
      const spec = document.paths[toOpenApiPath(url)]?.[method.toLowerCase()];
      routes.push({ method, url, params, ...(spec ? { operation: operationOf(spec, document) } : {}) });
    }
  }
  return routes;
}

function operationOf(spec: OpenApiOperation, document: OpenApiDocument): NonNullable<Route['operation']> {
  const security = spec.security ?? document.security ?? [];
  const bodyContent = spec.requestBody?.content ?? {};
  const bodySchema = Object.values(bodyContent)[0]?.schema;
  const responses = Object.fromEntries(
    Object.entries(spec.responses).map(([status, response]) => [status, response.content?.['application/json']?.schema ?? null]),
  );
  return {
    operationId: spec.operationId,
    admin: security.some((entry) => 'adminToken' in entry),
    public: security.length === 0,
    ...(bodySchema ? { body: { schema: bodySchema, required: spec.requestBody?.required ?? false, contentTypes: Object.keys(bodyContent) } } : {}),
    query: (spec.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required ?? false, schema: p.schema })),
    responses,
  };
}

export const routeName = (route: Pick<Route, 'method' | 'url'>) => `${route.method} ${route.url}`;
