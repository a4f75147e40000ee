import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

// JSON that JavaScript parses but PostgreSQL (text, jsonb) or RFC 8785 cannot take: a lone UTF-16
// surrogate, a NUL character, a number beyond double precision. Each is a 400 naming the field, on
// every route, and changes nothing.
const t = useTestApp();

/** A request with exactly these bytes as its body (supertest would re-encode a Buffer as JSON). */
async function sendRaw(method: 'POST' | 'PATCH', url: string, headers: Record<string, string>, payload: Buffer | string) {
  const res = await t.app.inject({ method, url, headers: { 'content-type': 'application/json', ...headers }, payload });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

async function setup() {
  const project = await t.newProject();
  const make = apiFactories(t, project.auth);
  const session = await make.session({ context: { plan: 'draft' } });
  return { ...project, make, session };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** `body` is sent as written (raw JSON text), so that `1e400` and `\ud800` reach the server as such. */
const cases: [string, (s: Setup) => { method: 'post' | 'patch'; url: string; contentType?: string }, string, string][] = [
  ['a lone surrogate in context', () => ({ method: 'post', url: '/v1/sessions' }), '{"task_id":"x","context":{"a":"\\ud800"}}', 'body.context.a'],
  ['a lone low surrogate in a text field', () => ({ method: 'post', url: '/v1/sessions' }), '{"task_id":"a\\udc00b"}', 'body.task_id'],
  ['1e400 in metadata', () => ({ method: 'post', url: '/v1/sessions' }), '{"task_id":"x","metadata":{"n":1e400}}', 'body.metadata.n'],
  [
    '-1e400 deep in an array',
    () => ({ method: 'post', url: '/v1/sessions' }),
    '{"task_id":"x","context":{"list":[1,{"deep":-1e400}]}}',
    'body.context.list.1.deep',
  ],
  ['a NUL in context', () => ({ method: 'post', url: '/v1/sessions' }), '{"task_id":"x","context":{"a":"x\\u0000y"}}', 'body.context.a'],
  ['a lone surrogate in a field name', () => ({ method: 'post', url: '/v1/sessions' }), '{"task_id":"x","context":{"k\\ud800":1}}', 'body.context'],
  [
    'a lone surrogate in a PATCH (merge patch) context',
    (s) => ({ method: 'patch', url: `/v1/sessions/${s.session.session_id}`, contentType: 'application/merge-patch+json' }),
    '{"context":{"plan":"\\udfff"}}',
    'body.context.plan',
  ],
  [
    '1e400 in a checkpoint snapshot',
    (s) => ({ method: 'post', url: `/v1/sessions/${s.session.session_id}/checkpoints` }),
    '{"phase":"p","context_snapshot":{"x":1e400}}',
    'body.context_snapshot.x',
  ],
  [
    'a lone surrogate in a checkpoint snapshot',
    (s) => ({ method: 'post', url: `/v1/sessions/${s.session.session_id}/checkpoints` }),
    '{"phase":"p","context_snapshot":{"x":"\\ud800"}}',
    'body.context_snapshot.x',
  ],
  [
    "a lone surrogate in a handoff's task_context",
    () => ({ method: 'post', url: '/v1/handoffs' }),
    '{"from_agent":"a","to_agent":"b","session_id":"SESSION","task_context":{"phase":"\\ud800"}}',
    'body.task_context.phase',
  ],
  [
    "1e400 in a handoff's task_context",
    () => ({ method: 'post', url: '/v1/handoffs' }),
    '{"from_agent":"a","to_agent":"b","session_id":"SESSION","task_context":{"n":1e400}}',
    'body.task_context.n',
  ],
  [
    '1e400 tokens on the usage path',
    (s) => ({ method: 'post', url: `/v1/sessions/${s.session.session_id}/usage` }),
    '{"tokens":1e400}',
    'body.tokens',
  ],
];

describe('JSON bodies PostgreSQL or RFC 8785 cannot take', () => {
  it.each(cases)('answers %s with a 400 naming the field, and changes nothing', async (_name, route, text, path) => {
    const s = await setup();
    const { method, url, contentType = 'application/json' } = route(s);
    const res = await t.http[method](url).set(s.auth).set('content-type', contentType).send(text.replace('SESSION', s.session.session_id));

    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: url });
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    expect(res.body.detail).toContain(path);

    // Nothing stored: the one session of setup() with its context, no checkpoint, no handoff, no usage.
    const sessions = await t.db.prisma.session.findMany({ where: { projectId: s.projectId } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ context: { plan: 'draft' }, metadata: {}, version: s.session.version });
    expect(Number(sessions[0]!.used)).toBe(0);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: s.session.session_id } })).toBe(0);
    expect(await t.db.prisma.handoff.count({ where: { projectId: s.projectId } })).toBe(0);
  });

  it('names every bad value, not only the first', async () => {
    const { auth } = await t.newProject();
    const res = await t.http
      .post('/v1/sessions')
      .set(auth)
      .set('content-type', 'application/json')
      .send('{"task_id":"\\ud800","context":{"a":1e400,"b":["ok","\\u0000"]}}');
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.task_id', 'body.context.a', 'body.context.b.1']);
  });

  it('refuses a body that is not UTF-8 (surrogates encoded as bytes, a stray continuation byte)', async () => {
    const { auth, projectId } = await t.newProject();
    for (const bytes of [Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x80])]) {
      const body = Buffer.concat([Buffer.from('{"task_id":"a'), bytes, Buffer.from('"}')]);
      const res = await sendRaw('POST', '/v1/sessions', auth, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe('MALFORMED_JSON');
      expect(res.body.detail).toMatch(/UTF-8/);
    }
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });

  it('stores what both can take exactly: surrogate pairs, non-ASCII escapes, the largest doubles, underflow to 0', async () => {
    const { auth } = await t.newProject();
    const res = await t.http
      .post('/v1/sessions')
      .set(auth)
      .set('content-type', 'application/json')
      .send('{"task_id":"emoji \\ud83d\\ude00 é","context":{"big":1.7976931348623157e308,"neg":-1e308,"tiny":1e-400,"text":"\\u00e9\\u4e2d😀"}}');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.task_id).toBe('emoji 😀 é');
    expect(res.body.context).toEqual({ big: 1.7976931348623157e308, neg: -1e308, tiny: 0, text: 'é中😀' });
    const stored = await t.http.get(`/v1/sessions/${res.body.session_id}`).set(auth);
    expect(stored.body.context).toEqual(res.body.context);
  });
});

describe('bodies in another charset or content encoding', () => {
  it.each([['utf-16'], ['UTF-16LE'], ['latin1'], ['iso-8859-1'], ['us-ascii']])(
    'answers a JSON body declared charset=%s with 415, storing nothing',
    async (charset) => {
      const { auth, projectId } = await t.newProject();
      const encoded = Buffer.from('{"task_id":"é"}', charset.toLowerCase().startsWith('utf-16') ? 'utf16le' : 'latin1');
      const res = await sendRaw('POST', '/v1/sessions', { ...auth, 'content-type': `application/json; charset=${charset}` }, encoded);
      expect(res.status, JSON.stringify(res.body)).toBe(415);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
      expect(res.body.detail).toContain('utf-8');
      expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
    },
  );

  it.each([['application/json; charset=utf-8'], ['application/json;charset="UTF-8"'], ['application/json; charset=utf8']])(
    'takes %s',
    async (contentType) => {
      const { auth } = await t.newProject();
      const res = await t.http.post('/v1/sessions').set(auth).set('content-type', contentType).send('{"task_id":"é"}');
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.task_id).toBe('é');
    },
  );

  it('answers a merge patch in another charset with 415 too', async () => {
    const s = await setup();
    const res = await t.http
      .patch(`/v1/sessions/${s.session.session_id}`)
      .set(s.auth)
      .set('content-type', 'application/merge-patch+json; charset=latin1')
      .send('{"context":{"plan":"x"}}');
    expect(res.status).toBe(415);
    expect((await t.http.get(`/v1/sessions/${s.session.session_id}`).set(s.auth)).body.context).toEqual({ plan: 'draft' });
  });

  it.each([['gzip'], ['deflate'], ['br'], ['x-custom']])(
    'answers Content-Encoding: %s on a /v1 JSON body with 415, storing nothing',
    async (encoding) => {
      const { auth, projectId } = await t.newProject();
      const body = encoding === 'gzip' ? gzipSync('{"task_id":"x"}') : '{"task_id":"x"}';
      const res = await sendRaw('POST', '/v1/sessions', { ...auth, 'content-encoding': encoding }, body);
      expect(res.status, JSON.stringify(res.body)).toBe(415);
      expect(res.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(res.body.detail).toContain('Content-Encoding');
      expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
    },
  );

  it('takes Content-Encoding: identity', async () => {
    const { auth } = await t.newProject();
    const res = await t.http
      .post('/v1/sessions')
      .set(auth)
      .set('content-type', 'application/json')
      .set('content-encoding', 'identity')
      .send('{"task_id":"x"}');
    expect(res.status).toBe(201);
  });
});
