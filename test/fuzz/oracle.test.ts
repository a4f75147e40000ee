// The fuzzer is only as good as its judgement of an answer: these show that it refuses wrong ones.
import { describe, expect, it } from 'vitest';
import { createOracle } from './oracle.js';
import { parseRouteTree, type OpenApiDocument, type Route } from './routes.js';

const document: OpenApiDocument = {
  paths: {},
  components: { schemas: { Thing: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false } } },
};
const route: Route = {
  method: 'GET',
  url: '/v1/things/:id',
  params: ['id'],
  operation: {
    operationId: 'getThing',
    admin: false,
    public: false,
    query: [],
    responses: { '200': { $ref: '#/components/schemas/Thing' }, '404': { $ref: '#/components/schemas/Problem' }, '204': null },
  },
};
const problemHeaders = { 'content-type': 'application/problem+json; charset=utf-8' };
const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };
const notFound = { type: '/problems/not-found', title: 'Resource not found', status: 404, detail: 'x', instance: '/v1/things/1', code: 'NOT_FOUND' };

const { problemsWith } = createOracle(document);

describe('the fuzzer oracle', () => {
  it('accepts a 2xx matching its schema and a documented problem document', () => {
    expect(problemsWith(route, 'GET', { statusCode: 200, headers: jsonHeaders, body: '{"id":"a"}' })).toEqual([]);
    expect(problemsWith(route, 'GET', { statusCode: 404, headers: problemHeaders, body: JSON.stringify(notFound) })).toEqual([]);
  });

  it('refuses a 5xx, a 2xx off its schema, and an undocumented status', () => {
    expect(problemsWith(route, 'GET', { statusCode: 500, headers: problemHeaders, body: '{}' })).toHaveLength(1);
    expect(problemsWith(route, 'GET', { statusCode: 200, headers: jsonHeaders, body: '{"id":1}' })[0]).toMatch(/does not match/);
    expect(problemsWith(route, 'GET', { statusCode: 201, headers: jsonHeaders, body: '{"id":"a"}' })[0]).toMatch(/not a documented/);
    const conflict = { ...notFound, status: 409, code: 'SESSION_ARCHIVED', title: 'Session is archived', type: '/problems/session-archived' };
    expect(problemsWith(route, 'GET', { statusCode: 409, headers: problemHeaders, body: JSON.stringify(conflict) })[0]).toMatch(/not a documented/);
  });

  it('refuses error bodies that are not consistent RFC 9457 problem documents', () => {
    const plain = problemsWith(route, 'GET', { statusCode: 404, headers: jsonHeaders, body: JSON.stringify(notFound) });
    const wrongStatus = problemsWith(route, 'GET', { statusCode: 404, headers: problemHeaders, body: JSON.stringify({ ...notFound, status: 400 }) });
    const wrongTitle = problemsWith(route, 'GET', { statusCode: 404, headers: problemHeaders, body: JSON.stringify({ ...notFound, title: 'Oops' }) });
    const leak = problemsWith(route, 'GET', {
      statusCode: 404,
      headers: problemHeaders,
      body: JSON.stringify({ ...notFound, detail: 'PrismaClientKnownRequestError' }),
    });

    expect([plain, wrongStatus, wrongTitle, leak].map((issues) => issues.length > 0)).toEqual([true, true, true, true]);
  });
});

describe('the route tree reader', () => {
  it('reads full paths and methods back from printRoutes', () => {
    const tree = ['└── /v1/sessions (POST, GET)', '    └── /:id (GET, PATCH)', '        ├── /usage (POST)', '        └── /budget (GET)'].join('\n');

    expect(parseRouteTree(tree)).toEqual([
      { url: '/v1/sessions', methods: ['POST', 'GET'] },
      { url: '/v1/sessions/:id', methods: ['GET', 'PATCH'] },
      { url: '/v1/sessions/:id/usage', methods: ['POST'] },
      { url: '/v1/sessions/:id/budget', methods: ['GET'] },
    ]);
  });
});
