// A session's export is streamed as it is read: complete and valid however many large checkpoints
// the session has, in bounded memory, and without holding up other projects' requests.
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionExportSchema } from '../../src/modules/export/export.schemas.js';
import { useTestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp({ listen: true });

const CHECKPOINTS = 60;
/** A context just under the 1 MiB body and checkpoint limits: 1,000 keys of 1,000 characters. */
const BIG_CONTEXT = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key_${String(i).padStart(4, '0')}`, String(i % 10).repeat(1000)]));
const MiB = 1024 * 1024;
/** Generous: the whole export is over 60 MiB, and loading it at once holds more than that twice. */
const MAX_HEAP_GROWTH = 40 * MiB;

// A full collection before each heap sample, so that the samples show what is held, not garbage.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

let dir: string;
let project: Awaited<ReturnType<typeof t.newProject>>;
let sessionId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'export-stream-'));
  project = await t.newProject();
  const make = apiFactories(t, project.auth);
  const session = await make.session({ task_id: 'big-export', token_budget: { total: 10_000_000 } });
  sessionId = session.session_id;
  const patched = await t.http.patch(`/v1/sessions/${sessionId}`).set(project.auth).send({ context: BIG_CONTEXT });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  // Each checkpoint snapshots the ~1 MB context.
  for (let i = 0; i < CHECKPOINTS; i++) await make.checkpoint(sessionId, { phase: `step-${String(i).padStart(3, '0')}` });
  await make.usage(sessionId, 1000);
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function requestExport(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(`${t.baseUrl}/v1/sessions/${sessionId}/export`, { headers: project.auth }, resolve).on('error', reject);
  });
}

describe('GET /v1/sessions/{id}/export of a large session', () => {
  it('streams a complete, valid document while the heap grows by far less than the export', { timeout: 300_000 }, async () => {
    const file = path.join(dir, 'export.json');
    const before = heapUsed();
    let peak = before;
    let sinceSample = 0;
    let bytes = 0;

    const res = await requestExport();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${sessionId}.json"`);
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      sinceSample += chunk.length;
      if (sinceSample >= 2 * MiB) {
        sinceSample = 0;
        peak = Math.max(peak, heapUsed());
      }
    });
    await pipeline(res, createWriteStream(file));

    expect(bytes).toBeGreaterThan(CHECKPOINTS * MiB * 0.9);
    expect(peak - before, `heap grew by ${Math.round((peak - before) / MiB)} MiB for a ${Math.round(bytes / MiB)} MiB export`).toBeLessThan(
      MAX_HEAP_GROWTH,
    );

    const exported = SessionExportSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(exported.session.session_id).toBe(sessionId);
    expect(exported.checkpoints.map((checkpoint) => checkpoint.phase)).toEqual(
      Array.from({ length: CHECKPOINTS }, (_, i) => `step-${String(i).padStart(3, '0')}`),
    );
    for (const checkpoint of [exported.checkpoints[0]!, exported.checkpoints.at(-1)!]) {
      expect(checkpoint.context_snapshot).toEqual(BIG_CONTEXT);
      const read = await t.http.get(`/v1/checkpoints/${checkpoint.checkpoint_id}`).set(project.auth);
      expect(read.body).toEqual(checkpoint);
    }
    expect(exported.usage.map((entry) => entry.tokens)).toEqual([1000]);
    expect(exported.events.filter((event) => event.type === 'checkpoint.created')).toHaveLength(CHECKPOINTS);
  });

  it("serves another project's requests while an export waits for its client", { timeout: 300_000 }, async () => {
    const res = await requestExport();
    expect(res.statusCode).toBe(200);
    // Take the first chunk, then stop reading: the export waits for this client mid-document.
    const first = await new Promise<Buffer>((resolve) => res.once('data', resolve));
    res.pause();

    const other = await t.newProject();
    const created = await t.http.post('/v1/sessions').set(other.auth).send({ task_id: 'meanwhile' });
    expect(created.status).toBe(201);
    const listed = await t.http.get('/v1/sessions').set(other.auth);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);

    // The export then finishes whole.
    const file = path.join(dir, 'paused.json');
    const out = createWriteStream(file);
    out.write(first);
    await pipeline(res, out);
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}')).toBe(true);
    expect(SessionExportSchema.parse(JSON.parse(text)).checkpoints).toHaveLength(CHECKPOINTS);
  });
});
