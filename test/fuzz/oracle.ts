// What every answer must be: a 2xx whose body matches the documented schema, or a 4xx RFC 9457
// problem document whose type, title and status agree with the error table; never a 5xx.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { statusByCode, titleByCode, type ErrorCode } from '../../src/lib/errors.js';
import { decodeProtobufAnswer } from '../../src/modules/otlp/otlp-protobuf.js';
import type { JsonSchema } from './arbitraries.js';
import type { OpenApiDocument, Route } from './routes.js';

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export function createOracle(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  const compiled = new Map<JsonSchema, ValidateFunction>();
  const validatorFor = (schema: JsonSchema) => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile({ ...schema, components: document.components });
      compiled.set(schema, validate);
    }
    return validate;
  };

  /** The reasons `answer` is wrong for `route` (empty when it is right). */
  function problemsWith(route: Route, method: string, answer: Answer): string[] {
    const { statusCode: status } = answer;
    const contentType = String(answer.headers['content-type'] ?? '');
    if (status >= 500) return [`${status} server error: ${answer.body.slice(0, 500)}`];
    if (status >= 400) {
      // The OTLP routes answer as OTLP/HTTP says; a path or method no route serves still gets a problem.
      const otlp = route.url.startsWith('/otlp/') && method === route.method && !contentType.startsWith('application/problem+json');
      return otlp ? otlpStatusIssues(answer, contentType) : problemDocumentIssues(route, method, answer, contentType);
    }
    if (status >= 300) return route.operation ? [`unexpected redirect ${status}`] : [];
    const operation = route.operation;
    if (!operation || method === 'HEAD') return [];
    if (!(String(status) in operation.responses)) return [`${status} is not a documented response of ${operation.operationId}`];
    const schema = operation.responses[String(status)];
    if (schema === null || schema === undefined) return answer.body === '' ? [] : [`${status} should have no body`];
    // The problem pages are for people first: HTML unless the client asks for JSON.
    if (route.url.startsWith('/problems/') && contentType.startsWith('text/html')) return [];
    if (!contentType.startsWith('application/json')) return [`${status} content-type is ${contentType}`];
    const validate = validatorFor(schema);
    if (validate(JSON.parse(answer.body))) return [];
    return [`${status} body does not match the ${operation.operationId} response schema: ${ajv.errorsText(validate.errors)}`];
  }

  return { problemsWith };
}

/** An OTLP/HTTP failure: a google.rpc.Status with a message, in JSON or protobuf. */
function otlpStatusIssues(answer: Answer, contentType: string): string[] {
  const status = answer.statusCode;
  let body: Record<string, unknown>;
  try {
    if (contentType.startsWith('application/x-protobuf')) body = decodeProtobufAnswer('status', Buffer.from(answer.body, 'utf8'));
    else if (contentType.startsWith('application/json')) body = JSON.parse(answer.body) as Record<string, unknown>;
    else return [`${status} content-type is "${contentType}", not an OTLP Status (application/json or application/x-protobuf)`];
  } catch (error) {
    return [`${status} body is not a google.rpc.Status: ${(error as Error).message}`];
  }
  const issues: string[] = [];
  if (typeof body.code !== 'number') issues.push(`Status without a numeric code: ${answer.body.slice(0, 200)}`);
  if (typeof body.message !== 'string' || body.message === '') issues.push(`Status without a message: ${answer.body.slice(0, 200)}`);
  if (/prisma|at .+\(.+:\d+:\d+\)|stack/i.test(String(body.message))) issues.push(`Status message leaks internals: ${String(body.message)}`);
  return issues;
}

function problemDocumentIssues(route: Route, method: string, answer: Answer, contentType: string): string[] {
  const status = answer.statusCode;
  if (method === 'HEAD') return [];
  if (!contentType.startsWith('application/problem+json')) return [`${status} content-type is "${contentType}", not application/problem+json`];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return [`${status} problem body is not JSON: ${answer.body.slice(0, 200)}`];
  }
  const issues: string[] = [];
  const code = body.code as ErrorCode;
  if (body.status !== status) issues.push(`problem status ${String(body.status)} differs from HTTP ${status}`);
  if (!(code in statusByCode)) issues.push(`unknown problem code ${String(code)}`);
  else {
    if (statusByCode[code] !== status) issues.push(`code ${code} maps to ${statusByCode[code]}, answered ${status}`);
    if (body.title !== titleByCode[code]) issues.push(`title "${String(body.title)}" is not the title of ${code}`);
    if (body.type !== `/problems/${code.toLowerCase().replaceAll('_', '-')}`) issues.push(`type ${String(body.type)} does not name ${code}`);
  }
  if (typeof body.detail !== 'string' || typeof body.instance !== 'string') issues.push('problem without detail or instance');
  if (/prisma|at .+\(.+:\d+:\d+\)|stack/i.test(String(body.detail))) issues.push(`problem detail leaks internals: ${String(body.detail)}`);
  // A documented operation lists the problems it answers with (the client types rely on them).
  const documented = route.operation?.responses;
  // Any path can miss every route (ROUTE_NOT_FOUND), and any request can be rate limited.
  const anyRoute = code === 'ROUTE_NOT_FOUND' || code === 'RATE_LIMITED';
  if (documented && !(String(status) in documented) && !anyRoute) {
    issues.push(`${status} ${String(code)} is not a documented response of ${route.operation!.operationId}`);
  }
  return issues;
}
