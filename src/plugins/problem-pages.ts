// GET /problems/<code>: the page a problem document's `type` names, explaining its code to a person
// (HTML) or a program (JSON, when the Accept header prefers it). The text comes from one table,
// src/lib/problem-explanations.ts; a code the service does not have is a 404 problem.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, codeOfProblemSlug, problemSlugOf, problemTypeOf, statusByCode, titleByCode, type ErrorCode } from '../lib/errors.js';
import { explanationByCode } from '../lib/problem-explanations.js';
import { problems } from '../lib/wire.js';

export const ProblemTypeSchema = z
  .object({
    type: z.string().meta({ description: 'This page: the `type` of problems with this code', examples: ['/problems/session-archived'] }),
    code: z.string().meta({ description: 'The error code (`code` of the problem document)', examples: ['SESSION_ARCHIVED'] }),
    title: z.string().meta({ description: 'The `title` of problems with this code', examples: ['Session is archived'] }),
    status: z
      .int()
      .min(400)
      .max(599)
      .meta({ description: 'The HTTP status problems with this code answer', examples: [409] }),
    meaning: z.string().meta({
      description: 'What happened',
      examples: ['The session is archived: it keeps its data but takes no more usage, checkpoints or changes.'],
    }),
    action: z.string().meta({ description: 'What to do about it', examples: ['Carry on in another session.'] }),
  })
  .meta({ id: 'ProblemType', description: 'The explanation of one error code' });

const ProblemPageParamsSchema = z.strictObject({
  code: z
    .string()
    .min(1)
    .max(64)
    .meta({ description: 'The code in lower case with dashes, as in `type`', examples: ['session-archived'] }),
});

export function problemTypeWire(code: ErrorCode): z.infer<typeof ProblemTypeSchema> {
  const { meaning, action } = explanationByCode[code];
  return { type: problemTypeOf(code), code, title: titleByCode[code], status: statusByCode[code], meaning, action };
}

/** True when the Accept header ranks a JSON type above HTML (RFC 9110 q-values; ties go to the first listed). */
export function prefersJson(accept: string | undefined): boolean {
  const ranked = (accept ?? '')
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
      const q = params.find((param) => param.startsWith('q='));
      return { type, q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter(({ type, q }) => q > 0 && (type === 'text/html' || type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type)))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.length > 0 && ranked[0]!.type !== 'text/html';
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** Backticks in the explanations become <code>. */
const withCode = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function problemPage(code: ErrorCode): string {
  const page = problemTypeWire(code);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.code)}: ${escapeHtml(page.title)} · Session State Service</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .2em}</style>
</head>
<body>
<p><a href="/docs">Session State Service API</a> · problem types</p>
<h1>${escapeHtml(page.title)}</h1>
<p><code>${escapeHtml(page.code)}</code> · HTTP ${page.status}</p>
<h2>What it means</h2>
<p>${withCode(page.meaning)}</p>
<h2>What to do</h2>
<p>${withCode(page.action)}</p>
<p>Every error answer of this service is an RFC 9457 problem document (<code>application/problem+json</code>) whose <code>type</code> is a page like this one and whose <code>code</code> a program branches on.</p>
</body>
</html>
`;
}

/** Public (no API key): a problem's `type` must resolve for whoever reads the problem. */
export const problemPagesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/problems/:code',
    {
      schema: {
        operationId: 'getProblemType',
        tags: ['operations'],
        security: [],
        summary: "Explain an error code: the page a problem's `type` names",
        description:
          'What the code means and what to do about it, as HTML, or as JSON when `Accept` prefers `application/json`. ' +
          `Every code has one: ${Object.keys(statusByCode)
            .map((code) => `\`${problemSlugOf(code as ErrorCode)}\``)
            .join(', ')}.`,
        params: ProblemPageParamsSchema,
        response: {
          200: {
            description: 'The explanation: HTML by default, JSON when Accept prefers it',
            content: {
              'text/html': { schema: z.string().meta({ description: 'A short HTML page', examples: ['<!doctype html>…'] }) },
              'application/json': { schema: ProblemTypeSchema },
            },
          },
          ...problems(400, 404),
        },
      },
    },
    async (request, reply) => {
      const code = codeOfProblemSlug(request.params.code);
      if (!code) throw new AppError('NOT_FOUND', { detail: `there is no problem type ${request.params.code}` });
      void reply.header('vary', 'accept').header('cache-control', 'public, max-age=3600');
      if (prefersJson(request.headers.accept)) return reply.type('application/json; charset=utf-8').send(problemTypeWire(code));
      return reply.type('text/html; charset=utf-8').send(problemPage(code));
    },
  );
};
