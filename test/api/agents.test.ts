import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';

const clock = createTestClock();
const t = useTestApp({ clock });

const rowOf = (projectId: string, name: string) => t.db.prisma.agent.findUnique({ where: { projectId_name: { projectId, name } } });

describe('PUT /v1/agents/{name}', () => {
  it('registers a new agent with 201 and a Location, and stores it', async () => {
    const { projectId, auth } = await t.newProject();
    const res = await t.http
      .put('/v1/agents/tdd-implementer')
      .set(auth)
      .send({ accepts_handoffs_from: ['spec-builder', 'architect'], description: 'Writes the tests first' });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe('/v1/agents/tdd-implementer');
    expect(res.body).toEqual({
      name: 'tdd-implementer',
      accepts_handoffs_from: ['spec-builder', 'architect'],
      description: 'Writes the tests first',
      created_at: clock.now().toISOString(),
      updated_at: clock.now().toISOString(),
    });
    expect(await rowOf(projectId, 'tdd-implementer')).toMatchObject({
      acceptsHandoffsFrom: ['spec-builder', 'architect'],
      description: 'Writes the tests first',
    });
  });

  it('replaces an existing registration whole with 200, keeping created_at', async () => {
    const { projectId, auth } = await t.newProject();
    const first = await t.http
      .put('/v1/agents/reviewer')
      .set(auth)
      .send({ accepts_handoffs_from: ['*'], description: 'old' });
    clock.advance(60_000);

    const res = await t.http
      .put('/v1/agents/reviewer')
      .set(auth)
      .send({ accepts_handoffs_from: ['tdd-implementer'] });

    expect(res.status).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toMatchObject({ name: 'reviewer', accepts_handoffs_from: ['tdd-implementer'], description: null });
    expect(res.body.created_at).toBe(first.body.created_at);
    expect(res.body.updated_at).toBe(clock.now().toISOString());
    expect(await t.db.prisma.agent.count({ where: { projectId } })).toBe(1);
  });

  it('lists a name once however often it is sent, in the order given; [] accepts nobody', async () => {
    const { auth } = await t.newProject();
    const res = await t.http
      .put('/v1/agents/a')
      .set(auth)
      .send({ accepts_handoffs_from: ['b', 'c', 'b'] });
    expect(res.body.accepts_handoffs_from).toEqual(['b', 'c']);
    const none = await t.http.put('/v1/agents/closed').set(auth).send({ accepts_handoffs_from: [] });
    expect(none.status).toBe(201);
    expect(none.body.accepts_handoffs_from).toEqual([]);
  });

  it('accepts names of 256 characters and any characters in the path, URL-encoded', async () => {
    const { auth } = await t.newProject();
    // 256 characters of three UTF-8 bytes each: 2,304 characters once percent-encoded in the path.
    const long = '日'.repeat(256);
    const put = await t.http
      .put(`/v1/agents/${encodeURIComponent(long)}`)
      .set(auth)
      .send({ accepts_handoffs_from: [long] });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect((await t.http.get(`/v1/agents/${encodeURIComponent(long)}`).set(auth)).body.name).toBe(long);
    const res = await t.http
      .put(`/v1/agents/${encodeURIComponent('team a/planner')}`)
      .set(auth)
      .send({ accepts_handoffs_from: ['*'] });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('team a/planner');
    expect(res.headers.location).toBe('/v1/agents/team%20a%2Fplanner');
    expect((await t.http.get(res.headers.location!).set(auth)).body.name).toBe('team a/planner');
  });

  it.each([
    { case: 'no accepts_handoffs_from', body: {}, path: 'body.accepts_handoffs_from' },
    { case: 'a string instead of a list', body: { accepts_handoffs_from: '*' }, path: 'body.accepts_handoffs_from' },
    { case: '"*" mixed with names', body: { accepts_handoffs_from: ['*', 'a'] }, path: 'body.accepts_handoffs_from' },
    { case: 'an empty name', body: { accepts_handoffs_from: [''] }, path: 'body.accepts_handoffs_from.0' },
    { case: 'a name of 257 characters', body: { accepts_handoffs_from: ['x'.repeat(257)] }, path: 'body.accepts_handoffs_from.0' },
    { case: 'an unknown field', body: { accepts_handoffs_from: ['*'], accepts: ['a'] }, path: 'body.accepts' },
    { case: 'a description that is not a string', body: { accepts_handoffs_from: ['*'], description: 5 }, path: 'body.description' },
  ])('answers 400 for $case and stores nothing', async ({ body, path }) => {
    const { projectId, auth } = await t.newProject();
    const res = await t.http.put('/v1/agents/a').set(auth).send(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect(await t.db.prisma.agent.count({ where: { projectId } })).toBe(0);
  });

  it('refuses "*" and names over 256 characters as an agent name', async () => {
    const { auth } = await t.newProject();
    const star = await t.http
      .put('/v1/agents/*')
      .set(auth)
      .send({ accepts_handoffs_from: ['*'] });
    expect(star.status).toBe(400);
    expect(star.body.errors).toEqual([{ path: 'params.name', message: expect.stringContaining('any agent') }]);
    expect(
      (
        await t.http
          .put(`/v1/agents/${'x'.repeat(257)}`)
          .set(auth)
          .send({ accepts_handoffs_from: ['*'] })
      ).status,
    ).toBe(400);
  });

  it('needs an API key', async () => {
    expect((await t.http.put('/v1/agents/a').send({ accepts_handoffs_from: ['*'] })).status).toBe(401);
    expect((await t.http.get('/v1/agents')).status).toBe(401);
  });
});

describe('GET /v1/agents', () => {
  it("lists this project's agents by name, page by page", async () => {
    const { auth } = await t.newProject();
    for (const name of ['charlie', 'alpha', 'echo', 'bravo', 'delta']) {
      await t.http
        .put(`/v1/agents/${name}`)
        .set(auth)
        .send({ accepts_handoffs_from: ['*'] });
    }
    const other = await t.newProject();
    await t.http
      .put('/v1/agents/alpha0')
      .set(other.auth)
      .send({ accepts_handoffs_from: ['*'] });

    const first = await t.http.get('/v1/agents?limit=2').set(auth);
    expect(first.status).toBe(200);
    expect(first.body.data.map((agent: { name: string }) => agent.name)).toEqual(['alpha', 'bravo']);
    const second = await t.http.get(`/v1/agents?limit=2&cursor=${first.body.next_cursor}`).set(auth);
    expect(second.body.data.map((agent: { name: string }) => agent.name)).toEqual(['charlie', 'delta']);
    const last = await t.http.get(`/v1/agents?limit=2&cursor=${second.body.next_cursor}`).set(auth);
    expect(last.body).toEqual({ data: [expect.objectContaining({ name: 'echo', accepts_handoffs_from: ['*'] })], next_cursor: null });
  });

  it('is empty for a project without agents', async () => {
    const { auth } = await t.newProject();
    expect((await t.http.get('/v1/agents').set(auth)).body).toEqual({ data: [], next_cursor: null });
  });

  it('answers 400 for a bad limit or a cursor it never issued', async () => {
    const { auth } = await t.newProject();
    expect((await t.http.get('/v1/agents?limit=0').set(auth)).status).toBe(400);
    expect((await t.http.get('/v1/agents?limit=201').set(auth)).status).toBe(400);
    const bad = await t.http.get('/v1/agents?cursor=!!!').set(auth);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'query.cursor', message: 'is not a cursor of this list' }]);
  });
});

describe('GET and DELETE /v1/agents/{name}', () => {
  it("returns a registration, and 404 for an unknown agent or another project's", async () => {
    const { auth } = await t.newProject();
    await t.http
      .put('/v1/agents/planner')
      .set(auth)
      .send({ accepts_handoffs_from: ['*'], description: 'plans' });
    const res = await t.http.get('/v1/agents/planner').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'planner', accepts_handoffs_from: ['*'], description: 'plans' });

    expect((await t.http.get('/v1/agents/nobody').set(auth)).status).toBe(404);
    const other = await t.newProject();
    expect((await t.http.get('/v1/agents/planner').set(other.auth)).status).toBe(404);
  });

  it("removes a registration with 204; then it is gone, and another project's is 404", async () => {
    const { projectId, auth } = await t.newProject();
    await t.http
      .put('/v1/agents/planner')
      .set(auth)
      .send({ accepts_handoffs_from: ['*'] });
    const other = await t.newProject();
    expect((await t.http.delete('/v1/agents/planner').set(other.auth)).status).toBe(404);
    expect(await rowOf(projectId, 'planner')).not.toBeNull();

    const res = await t.http.delete('/v1/agents/planner').set(auth);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await rowOf(projectId, 'planner')).toBeNull();
    expect((await t.http.delete('/v1/agents/planner').set(auth)).status).toBe(404);
  });
});
