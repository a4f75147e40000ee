// GET /problems/<code>: the `type` of every problem document resolves to a page that explains its
// code, as HTML for a person or JSON for a program; a code the service does not have is a 404.
import { describe, expect, it } from 'vitest';
import { problemTypeOf, statusByCode, titleByCode, type ErrorCode } from '../../src/lib/errors.js';
import { explanationByCode } from '../../src/lib/problem-explanations.js';
import { prefersJson } from '../../src/plugins/problem-pages.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();
const codes = Object.keys(statusByCode) as ErrorCode[];

describe('GET /problems/<code>', () => {
  it('has a JSON page for every code of statusByCode, with its title, status and explanation', async () => {
    for (const code of codes) {
      const res = await t.http.get(problemTypeOf(code)).set('accept', 'application/json');

      expect(res.status, code).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        type: problemTypeOf(code),
        code,
        title: titleByCode[code],
        status: statusByCode[code],
        meaning: explanationByCode[code].meaning,
        action: explanationByCode[code].action,
      });
    }
  });

  it('answers HTML by default (a browser following the link), naming the code, title and what to do', async () => {
    const res = await t.http.get('/problems/session-archived').set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/accept/i);
    expect(res.text).toContain('<h1>Session is archived</h1>');
    expect(res.text).toContain('<code>SESSION_ARCHIVED</code> · HTTP 409');
    expect(res.text).toContain('What to do');

    const plain = await t.http.get('/problems/precondition-failed');
    expect(plain.headers['content-type']).toMatch(/^text\/html/);
    expect(plain.text).toContain('<code>PRECONDITION_FAILED</code> · HTTP 412');
  });

  it('needs no API key: whoever reads a problem can follow its type', async () => {
    const res = await t.http.get('/problems/unauthorized').set('authorization', 'Bearer not-a-key').set('accept', 'application/json');

    expect(res.status).toBe(200);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('resolves the type URL of a real problem answer to the explanation of its code', async () => {
    const { auth } = await t.newProject();
    const problem = await t.http.post('/v1/sessions/sess_00000000000000000000000000000000/usage').set(auth).send({ tokens: 1 });
    expect(problem.status).toBe(404);
    expect(problem.headers['content-type']).toMatch(/^application\/problem\+json/);

    // `type` is relative: it resolves against the URL of the request, to this server.
    const type = new URL(problem.body.type as string, 'http://service.example/v1/sessions/x/usage');
    const page = await t.http.get(type.pathname).set('accept', 'application/json');

    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ code: problem.body.code, title: problem.body.title, status: 404 });
  });

  it('is a 404 problem for a code the service does not have, and a 400 for one too long', async () => {
    for (const slug of ['no-such-code', 'SESSION-ARCHIVED', 'session_archived', 'constructor', '__proto__']) {
      const res = await t.http.get(`/problems/${slug}`).set('accept', 'application/json');

      expect(res.status, slug).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', type: '/problems/not-found' });
    }
    const long = await t.http.get(`/problems/${'x'.repeat(65)}`);
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('prefersJson', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['text/html', false],
    ['application/json', true],
    ['application/problem+json', true],
    ['text/html, application/json', false],
    ['application/json, text/html', true],
    ['text/html;q=0.5, application/json', true],
    ['application/json;q=0, text/html', false],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false],
  ])('%s → %s', (accept, expected) => {
    expect(prefersJson(accept)).toBe(expected);
  });
});
