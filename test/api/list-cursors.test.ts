// Every list the app serves pages with the cursors it issues and refuses any other cursor with a 400
// problem. The lists are read from the app's own routes (every GET with a `cursor` query parameter),
// so a new list is held to this without a change here.
import { beforeAll, describe, expect, it } from 'vitest';
import { createFixtures, type FixtureProject } from '../fuzz/fixtures.js';
import { routesOf, type OpenApiDocument, type Route } from '../fuzz/routes.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

let routes: Route[];
let fixture: FixtureProject;

/** The route's URL with each parameter set to the fixture's first resource of its kind (the segment before it). */
function urlOf(route: Route): string {
  return route.url.replace(/\/([^/]+)\/:([A-Za-z_]+)/g, (_match, kind: string) => {
    const value = fixture.byKind[kind]?.[0];
    if (value === undefined) throw new Error(`${route.url}: no fixture for ":${kind}" parameters; add one to createFixtures`);
    return `/${kind}/${encodeURIComponent(value)}`;
  });
}

async function list(route: Route, query: Record<string, string>) {
  return t.http.get(urlOf(route)).query(query).set(fixture.auth);
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

beforeAll(async () => {
  routes = routesOf(t.app.printRoutes({ commonPrefix: false }), t.app.swagger() as unknown as OpenApiDocument).filter(
    (route) => route.method === 'GET' && route.operation?.query.some((param) => param.name === 'cursor'),
  );
  fixture = await createFixtures(t, 'cursors');
  // A second item in the lists where the fixture has one, so that every list has a next page.
  const { auth, byKind } = fixture;
  const session = byKind.sessions![0]!;
  const webhook = byKind.webhooks![0]!;
  const posts: [string, Record<string, unknown>][] = [
    [`/v1/sessions/${session}/usage`, { tokens: 10 }],
    ['/v1/handoffs', { from_agent: 'agent-b', to_agent: 'agent-a', session_id: session, task_context: {} }],
    ['/v1/orchestrations', { specs: [{ spec_id: 'other' }] }],
    ['/v1/webhooks', { url: 'https://example.com/other', events: ['*'] }],
    [`/v1/webhooks/${webhook}/test`, {}],
  ];
  for (const [url, body] of posts) {
    const res = await t.http.post(url).set(auth).send(body);
    expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  }
});

describe('list cursors', () => {
  it('finds the lists in the route table', () => {
    const urls = routes.map((route) => route.url);
    // The lists known when this test was written; a new one joins by itself.
    for (const known of [
      '/v1/sessions',
      '/v1/sessions/:id/checkpoints',
      '/v1/sessions/:id/usage',
      '/v1/agents',
      '/v1/handoffs',
      '/v1/orchestrations',
      '/v1/webhooks',
      '/v1/webhooks/:id/deliveries',
      '/v1/context/mcp-servers',
    ]) {
      expect(urls).toContain(known);
    }
  });

  it('gives every page operation a cursor parameter (a list answering next_cursor cannot hide from these tests)', () => {
    const all = routesOf(t.app.printRoutes({ commonPrefix: false }), t.app.swagger() as unknown as OpenApiDocument);
    const paging = all.filter((route) => JSON.stringify(route.operation?.responses['200'] ?? null).includes('"next_cursor"'));
    expect(paging.map((route) => `${route.method} ${route.url}`).sort()).toEqual(routes.map((route) => `${route.method} ${route.url}`).sort());
  });

  it('pages on with the cursor each list issues', async () => {
    for (const route of routes) {
      const first = await list(route, { limit: '1' });
      expect(first.status, `${route.url}: ${JSON.stringify(first.body)}`).toBe(200);
      expect(first.body.next_cursor, `${route.url} has a second item`).toEqual(expect.any(String));
      const next = await list(route, { limit: '1', cursor: first.body.next_cursor });
      expect(next.status, `${route.url}: ${JSON.stringify(next.body)}`).toBe(200);
      expect(next.body.data, route.url).toHaveLength(1);
      expect(next.body.data[0], route.url).not.toEqual(first.body.data[0]);
    }
  });

  it('refuses a cursor the list did not issue with a 400 problem naming query.cursor, on every list', async () => {
    const issued = new Map<string, string>();
    for (const route of routes) issued.set(route.url, (await list(route, { limit: '1' })).body.next_cursor);
    const idOf = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');
    const idLists = routes.filter((route) => /^[a-z]+_[0-9a-f]{32}$/.test(idOf(issued.get(route.url)!)));
    expect(idLists.length).toBeGreaterThan(5);

    for (const route of routes) {
      const own = issued.get(route.url)!;
      const garbage = [
        'garbage!!',
        '%%%',
        b64(''),
        // The list's own cursor, altered: base64 padding, a character dropped.
        `${own}=`,
        own.slice(0, -1),
      ];
      // Lists ordered by name (agents, MCP servers) page with the base64url of a name: any name's is one
      // of theirs. Lists ordered by id take only an id of their own kind.
      if (idLists.includes(route)) {
        // Ids of other kinds, well formed: another list's cursor is not this list's.
        const prefix = idOf(own).split('_')[0];
        for (const other of idLists) if (idOf(issued.get(other.url)!).split('_')[0] !== prefix) garbage.push(issued.get(other.url)!);
        garbage.push(`${own}A`, b64('sess_not-hex'), b64(`${prefix}_${'g'.repeat(32)}`), b64(`${prefix}_${'0'.repeat(31)}`), b64(`${idOf(own)} `));
      }
      for (const cursor of garbage) {
        const res = await list(route, { cursor });
        expect(res.status, `${route.url}?cursor=${cursor}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body, `${route.url}?cursor=${cursor}`).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'query.cursor' }] });
      }
    }
  });
});
