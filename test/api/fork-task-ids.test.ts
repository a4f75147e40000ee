// Forks made without a task_id get one derived from their parent's: it must stay a task_id the API
// takes (at most 256 characters), so that `GET /v1/sessions?task_id=` finds the fork, however deep the
// chain of forks and however long the parent's id.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp();

async function setup() {
  const project = await t.newProject();
  const make = apiFactories(t, project.auth);
  /** The sessions `GET /v1/sessions?task_id=` answers, which must be 200. */
  async function findByTask(taskId: string): Promise<string[]> {
    const res = await t.http.get('/v1/sessions').query({ task_id: taskId, limit: '200' }).set(project.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data.map((session: { session_id: string }) => session.session_id);
  }
  return { ...project, make, findByTask };
}

const cut = (taskId: string) => `${taskId.slice(0, 243)}~${createHash('sha256').update(taskId).digest('hex').slice(0, 12)}`;

describe('the default task_id of a fork', () => {
  it('does not grow along a chain of forks: every fork of a fork keeps fork_<root task_id>, and the list finds them all', async () => {
    const { make, findByTask } = await setup();
    const root = await make.session({ task_id: 'SPEC-42' });
    const chain: string[] = [];
    let parent = root.session_id;
    // 60 forks deep: the stacked prefix (fork_fork_…) would be 300 characters past the root's.
    for (let depth = 0; depth < 60; depth++) {
      const fork = await make.fork(parent);
      expect(fork.task_id, `depth ${depth + 1}`).toBe('fork_SPEC-42');
      expect(fork.parent_session_id).toBe(parent);
      chain.push(fork.session_id);
      parent = fork.session_id;
    }
    expect((await findByTask('fork_SPEC-42')).sort()).toEqual([...chain].sort());
    expect(await findByTask('SPEC-42')).toEqual([root.session_id]);
  });

  it('is cut to 256 characters with a hash of the whole when the parent task_id is long, and stays so when forked again', async () => {
    const { make, findByTask } = await setup();
    const long = 'T'.repeat(256);
    const parent = await make.session({ task_id: long });

    const fork = await make.fork(parent.session_id);
    const forkOfFork = await make.fork(fork.session_id);

    expect(fork.task_id).toBe(cut(`fork_${long}`));
    expect(fork.task_id).toHaveLength(256);
    expect(forkOfFork.task_id).toBe(fork.task_id);
    expect((await findByTask(fork.task_id)).sort()).toEqual([fork.session_id, forkOfFork.session_id].sort());
    // Two long parents that share their first 243 characters get different fork task_ids.
    const sibling = await make.session({ task_id: `${'T'.repeat(255)}U` });
    expect((await make.fork(sibling.session_id)).task_id).not.toBe(fork.task_id);
  });

  it('keeps at most 256 characters when one at the cut is outside the BMP, and never half a surrogate pair', async () => {
    const { make, findByTask } = await setup();
    // fork_ (5) + 237 + the emoji at code units 242–243, cut after 243: the pair would be split.
    const taskId = `${'a'.repeat(237)}${'😀'.repeat(9)}`;
    expect(taskId).toHaveLength(255);
    const parent = await make.session({ task_id: taskId });

    const fork = await make.fork(parent.session_id);

    expect(fork.task_id.length).toBeLessThanOrEqual(256);
    expect(fork.task_id.isWellFormed()).toBe(true);
    expect(fork.task_id.startsWith(`fork_${'a'.repeat(237)}`)).toBe(true);
    expect(await findByTask(fork.task_id)).toEqual([fork.session_id]);
  });

  it('is held to the same rules for the explorations of an orchestration spec', async () => {
    const { auth, findByTask } = await setup();
    const specId = 's'.repeat(256);
    const created = await t.http
      .post('/v1/orchestrations')
      .set(auth)
      .send({ specs: [{ spec_id: specId }, { spec_id: 'short' }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.orchestration_id;

    const explorations = [];
    for (const spec of [specId, specId, 'short']) {
      const res = await t.http.post(`/v1/orchestrations/${id}/specs/${spec}/explore`).set(auth).send({});
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      explorations.push(res.body);
    }

    expect(explorations.map((session) => session.task_id)).toEqual([cut(`fork_${specId}`), cut(`fork_${specId}`), 'fork_short']);
    expect((await findByTask(cut(`fork_${specId}`))).sort()).toEqual([explorations[0].session_id, explorations[1].session_id].sort());
    // Forking an exploration again keeps its task_id.
    const again = await t.http.post(`/v1/sessions/${explorations[0].session_id}/fork`).set(auth).send({});
    expect(again.status).toBe(201);
    expect(again.body.task_id).toBe(explorations[0].task_id);
  });

  it('is whatever the client gives as task_id', async () => {
    const { make } = await setup();
    const parent = await make.session({ task_id: 'fork_SPEC-1' });
    expect((await make.fork(parent.session_id, { task_id: 'fork_fork_SPEC-1' })).task_id).toBe('fork_fork_SPEC-1');
  });
});
