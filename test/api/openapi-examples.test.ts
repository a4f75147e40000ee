// Every operation of the OpenAPI document, executed as Swagger UI's "Try it out" would send it: the
// documented example body, path parameters and query, against the real app over HTTP, must get the
// documented success status. Ids in the examples (src/lib/examples.ts) are replaced by objects made
// the same way, from the documented examples of the operations that create them (a session from the
// createSession example, a checkpoint from createCheckpoint's, …), each operation in a project of
// its own so that none sees what another changed. An operation added without an example, or with
// one the service refuses, fails here.
import { describe, expect, it } from 'vitest';
import { EXAMPLE } from '../../src/lib/examples.js';
import { TEST_ADMIN_TOKEN, useTestApp } from '../helpers/app.js';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const ID_PATTERN = /^[a-z]+_[0-9a-f]{32}$/;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  example?: unknown;
  description?: string;
}
interface Operation {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
  security?: Record<string, string[]>[];
}
interface Documented {
  method: (typeof HTTP_METHODS)[number];
  route: string;
  operation: Operation;
}
interface Answer {
  status: number;
  body: unknown;
}

const t = useTestApp({ listen: true });

function documentedOperations(): Documented[] {
  const document = t.app.swagger() as unknown as { paths: Record<string, Partial<Record<string, Operation>>> };
  return Object.entries(document.paths).flatMap(([route, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ method, route, operation: item[method]! })),
  );
}

const successStatuses = (operation: Operation) =>
  Object.keys(operation.responses)
    .filter((status) => /^2\d\d$/.test(status))
    .map(Number);

const label = ({ method, route }: Pick<Documented, 'method' | 'route'>) => `${method.toUpperCase()} ${route}`;

/**
 * One project and the objects its examples name: each id of src/lib/examples.ts is made on first
 * use by executing the documented example of the operation that creates such an object.
 */
class World {
  private readonly made = new Map<string, Promise<string>>();

  constructor(
    private readonly operations: Map<string, Documented>,
    readonly projectId: string,
    private readonly apiKey: string,
  ) {}

  /** The object ids and names the examples use, and how the world makes each (from other examples). */
  private readonly recipes: Record<string, () => Promise<string>> = {
    [EXAMPLE.projectId]: async () => this.projectId,
    [EXAMPLE.apiKeyId]: async () => this.field(await this.execute('createApiKey'), 'api_key_id'),
    [EXAMPLE.sessionId]: async () => this.field(await this.execute('createSession'), 'session_id'),
    [EXAMPLE.forkSessionId]: async () => this.field(await this.execute('forkSession'), 'session_id'),
    [EXAMPLE.checkpointId]: async () => this.field(await this.execute('createCheckpoint'), 'checkpoint_id'),
    [EXAMPLE.handoffId]: async () => this.field(await this.execute('createHandoff'), 'handoff_id'),
    [EXAMPLE.webhookId]: async () => this.field(await this.execute('createWebhook'), 'webhook_id'),
    [EXAMPLE.deliveryId]: async () => this.field(await this.execute('testWebhook'), 'delivery_id'),
    [EXAMPLE.orchestrationId]: async () => this.field(await this.execute('createOrchestration'), 'orchestration_id'),
    [EXAMPLE.reservationId]: async () => this.field(await this.execute('createReservation'), 'reservation_id'),
  };

  /**
   * Names (not ids) the examples use, and the operation that registers each. A name in a path
   * (GET /v1/agents/{name}) is registered first; in a body it is only a name (a handoff's to_agent
   * needs no registration), and the operation that registers it runs as it is.
   */
  private readonly registrations: Record<string, string> = {
    [EXAMPLE.agentName]: 'putAgent',
    [EXAMPLE.mcpServerName]: 'putMcpServer',
  };

  /** Whether the test can make the object an example id names. */
  knows(value: string): boolean {
    return value in this.recipes;
  }

  private async registered(name: string, operationId: string): Promise<void> {
    const registration = this.registrations[name];
    if (!registration || registration === operationId) return;
    if (!this.made.has(name))
      this.made.set(
        name,
        this.execute(registration).then(() => name),
      );
    await this.made.get(name);
  }

  private field(answer: Answer, name: string): string {
    const value = (answer.body as Record<string, unknown> | null)?.[name];
    if (typeof value !== 'string') throw new Error(`expected a string ${name} in ${JSON.stringify(answer.body)}`);
    return value;
  }

  /** The real id or name for an example value; any other value as it is. */
  private async real(value: unknown): Promise<unknown> {
    if (typeof value === 'string' && this.recipes[value]) {
      if (!this.made.has(value)) this.made.set(value, this.recipes[value]());
      return this.made.get(value);
    }
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.real(item)));
    if (value !== null && typeof value === 'object') {
      const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await this.real(item)] as const));
      return Object.fromEntries(entries);
    }
    return value;
  }

  /** The example request of an operation, with the world's objects in it, sent; its answer if 2xx. */
  async execute(operationId: string): Promise<Answer> {
    const documented = this.operations.get(operationId);
    if (!documented) throw new Error(`no operation ${operationId} in the document`);
    const answer = await this.send(documented);
    const expected = successStatuses(documented.operation);
    if (!expected.includes(answer.status)) {
      throw new Error(`${label(documented)} answered ${answer.status}, documented ${expected.join('/')}: ${JSON.stringify(answer.body)}`);
    }
    return answer;
  }

  async send({ method, route, operation }: Documented): Promise<Answer> {
    let path = route;
    const query = new URLSearchParams();
    const headers: Record<string, string> = {};
    for (const parameter of operation.parameters ?? []) {
      if (parameter.example === undefined) continue;
      if (parameter.in === 'path') await this.registered(String(parameter.example), operation.operationId);
      const value = String(await this.real(parameter.example));
      if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, encodeURIComponent(value));
      if (parameter.in === 'query') query.set(parameter.name, value);
      if (parameter.in === 'header') headers[parameter.name] = value;
    }
    const security = operation.security?.flatMap((requirement) => Object.keys(requirement));
    if (security?.includes('adminToken')) headers.authorization = `Bearer ${TEST_ADMIN_TOKEN}`;
    else if (security === undefined || security.includes('apiKey')) headers.authorization = `Bearer ${this.apiKey}`;

    const media = operation.requestBody?.content['application/json'];
    let body: string | undefined;
    if (media) {
      body = JSON.stringify(await this.real(media.example));
      headers['content-type'] = 'application/json';
    }
    const url = `${t.baseUrl}${path}${query.size ? `?${query}` : ''}`;
    const streams = Object.keys(operation.responses['200']?.content ?? {}).includes('text/event-stream');
    const abort = new AbortController();
    const response = await fetch(url, { method: method.toUpperCase(), headers, body, signal: abort.signal });
    if (streams) {
      // An event stream never ends: its status and media type are the answer.
      abort.abort();
      return { status: response.status, body: response.headers.get('content-type') };
    }
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, body: /json/.test(type) && text ? JSON.parse(text) : text };
  }
}

describe('the examples of openapi.yaml', () => {
  it('are there for every operation: a summary, a description, a body example, path parameter examples, a named response per status', () => {
    const operations = documentedOperations();
    expect(operations.length).toBeGreaterThan(40);
    const world = new World(new Map(), 'proj_unused', 'unused');
    const missing = operations.flatMap(({ method, route, operation }) => {
      const where = label({ method, route });
      return [
        ...(operation.summary ? [] : [`${where}: no summary`]),
        ...(operation.description ? [] : [`${where}: no description`]),
        ...Object.entries(operation.requestBody?.content ?? {})
          .filter(([, media]) => media.example === undefined)
          .map(([type]) => `${where}: no example of its ${type} body`),
        ...(operation.parameters ?? [])
          .filter((parameter) => !parameter.description)
          .map((parameter) => `${where}: ${parameter.in} parameter ${parameter.name} has no description`),
        ...(operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'path' && parameter.example === undefined)
          .map((parameter) => `${where}: path parameter ${parameter.name} has no example`),
        // An example id the test cannot make would be executed as a made-up id (a 404).
        ...(operation.parameters ?? [])
          .filter((parameter) => typeof parameter.example === 'string' && ID_PATTERN.test(parameter.example) && !world.knows(parameter.example))
          .map((parameter) => `${where}: parameter ${parameter.name}'s example ${String(parameter.example)} is not an id of src/lib/examples.ts`),
        ...Object.entries(operation.responses)
          .filter(([, response]) => !response.description || response.description === 'Default Response')
          .map(([status]) => `${where}: response ${status} has no description`),
        ...(successStatuses(operation).length ? [] : [`${where}: no success status`]),
      ];
    });

    expect(missing).toEqual([]);
  });

  it('documents problem answers as application/problem+json with the shared Problem schema', () => {
    const wrong = documentedOperations().flatMap(({ method, route, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        .filter(
          ([, response]) =>
            JSON.stringify(response.content) !== JSON.stringify({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }),
        )
        .map(([status]) => `${label({ method, route })} ${status}`),
    );
    expect(wrong).toEqual([]);
  });

  it('has no placeholder bounds (-(2^53 - 1), 2^53 - 1) anywhere', () => {
    const text = JSON.stringify(t.app.swagger());
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });

  // In document order; each operation in a fresh project whose objects its examples make.
  it('each succeed when executed as documented, with the documented success status', { timeout: 240_000 }, async () => {
    const operations = documentedOperations();
    const byId = new Map(operations.map((documented) => [documented.operation.operationId, documented]));
    const failures: string[] = [];
    for (const documented of operations) {
      const { projectId, apiKey } = await t.newProject();
      const world = new World(byId, projectId, apiKey);
      try {
        const answer = await world.send(documented);
        const expected = successStatuses(documented.operation);
        if (!expected.includes(answer.status)) {
          failures.push(`${label(documented)}: ${answer.status}, documented ${expected.join('/')}: ${JSON.stringify(answer.body).slice(0, 400)}`);
        }
      } catch (error) {
        failures.push(`${label(documented)}: ${(error as Error).message.slice(0, 400)}`);
      }
    }

    expect(failures).toEqual([]);
  });
});
