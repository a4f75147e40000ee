import { describe, expect, it } from 'vitest';
import {
  cycleName,
  findCycles,
  graphErrors,
  readySpecs,
  schedule,
  type GraphNode,
  type NodeStatus,
  type SpecInput,
} from '../../src/modules/orchestrations/graph.js';

/** `graph('a', 'b:a', 'c:a,b')`: spec ids with their dependencies after the colon. */
const graph = (...specs: string[]): SpecInput[] =>
  specs.map((spec) => {
    const [specId, deps] = spec.split(':') as [string, string | undefined];
    return { specId, dependsOn: deps ? deps.split(',') : [] };
  });

/** The same, each with a status: `nodes('a=completed', 'b:a=pending')`. */
const nodes = (...specs: string[]): GraphNode[] =>
  specs.map((spec) => {
    const [shape, status] = spec.split('=') as [string, NodeStatus];
    return { ...graph(shape)[0]!, status };
  });

describe('findCycles', () => {
  it.each([
    { name: 'no dependencies', specs: graph('a', 'b', 'c'), cycles: [] },
    { name: 'a chain', specs: graph('a', 'b:a', 'c:b'), cycles: [] },
    { name: 'a diamond', specs: graph('a', 'b:a', 'c:a', 'd:b,c'), cycles: [] },
    { name: 'two specs depending on each other', specs: graph('a:b', 'b:a'), cycles: [['a', 'b']] },
    { name: 'a three-spec cycle, named from the earliest spec', specs: graph('x', 'c:a', 'a:b', 'b:c'), cycles: [['c', 'a', 'b']] },
    { name: 'a cycle behind an acyclic prefix', specs: graph('root', 'a:root,c', 'b:a', 'c:b', 'leaf:c'), cycles: [['a', 'c', 'b']] },
    {
      name: 'two separate cycles, in request order',
      specs: graph('p:q', 'a:b', 'q:p', 'b:a'),
      cycles: [
        ['p', 'q'],
        ['a', 'b'],
      ],
    },
    {
      name: 'one group with two cycles: the shortest cycle through the earliest spec',
      specs: graph('a:b', 'b:c,a', 'c:a'),
      cycles: [['a', 'b']],
    },
    { name: 'a self-dependency alone (reported on its own, not as a cycle)', specs: graph('a:a', 'b'), cycles: [] },
    { name: 'an unknown dependency (ignored here)', specs: graph('a:ghost', 'b:a'), cycles: [] },
  ])('$name', ({ specs, cycles }) => {
    expect(findCycles(specs)).toEqual(cycles);
  });

  it('names a cycle spec by spec, back to where it started', () => {
    expect(cycleName(['a', 'b', 'c'])).toBe('a → b → c → a');
  });

  it('finds a cycle through the whole of a 200-spec chain', () => {
    const specs = Array.from({ length: 200 }, (_, i) => ({ specId: `s${i}`, dependsOn: [`s${(i + 1) % 200}`] }));
    const [cycle] = findCycles(specs);
    expect(cycle).toHaveLength(200);
    expect(cycle!.slice(0, 3)).toEqual(['s0', 's1', 's2']);
  });
});

describe('graphErrors', () => {
  it.each([
    { name: 'a valid DAG', specs: graph('a', 'b:a', 'c:a,b'), errors: [] },
    {
      name: 'an unknown dependency',
      specs: graph('a', 'b:a,ghost'),
      errors: [{ path: 'body.specs.1.depends_on.1', message: 'names unknown spec "ghost": a dependency must be a spec of this orchestration' }],
    },
    {
      name: 'a duplicate spec id',
      specs: graph('a', 'b', 'a'),
      errors: [{ path: 'body.specs.2.spec_id', message: 'duplicates spec "a" of body.specs.0: spec ids must be unique' }],
    },
    {
      name: 'a self-dependency',
      specs: graph('a', 'b:a,b'),
      errors: [{ path: 'body.specs.1.depends_on.1', message: 'spec "b" depends on itself' }],
    },
    {
      name: 'a cycle, named',
      specs: graph('a:c', 'b:a', 'c:b'),
      errors: [{ path: 'body.specs.0.depends_on', message: 'dependency cycle: a → c → b → a' }],
    },
    {
      name: 'a cycle whose group holds more specs than the cycle names',
      specs: graph('a:b', 'b:c,a', 'c:a'),
      errors: [{ path: 'body.specs.0.depends_on', message: 'dependency cycle: a → b → a (also caught in cycles with these specs: "c")' }],
    },
    {
      name: 'every problem at once, spec by spec and then the cycles',
      specs: graph('a:b', 'b:a', 'c:c,nope', 'a:x'),
      errors: [
        { path: 'body.specs.2.depends_on.0', message: 'spec "c" depends on itself' },
        { path: 'body.specs.2.depends_on.1', message: 'names unknown spec "nope": a dependency must be a spec of this orchestration' },
        { path: 'body.specs.3.spec_id', message: 'duplicates spec "a" of body.specs.0: spec ids must be unique' },
        { path: 'body.specs.3.depends_on.0', message: 'names unknown spec "x": a dependency must be a spec of this orchestration' },
        { path: 'body.specs.0.depends_on', message: 'dependency cycle: a → b → a' },
      ],
    },
  ])('$name', ({ specs, errors }) => {
    expect(graphErrors(specs)).toEqual(errors);
  });
});

describe('readySpecs', () => {
  it.each([
    { name: 'roots of a new graph', nodes: nodes('a=pending', 'b:a=pending', 'c=pending'), ready: ['a', 'c'] },
    { name: 'running specs and those waiting only for a slot', nodes: nodes('a=running', 'b=pending', 'c:a=pending'), ready: ['a', 'b'] },
    { name: 'a dependent once its dependencies completed', nodes: nodes('a=completed', 'b=completed', 'c:a,b=pending'), ready: ['c'] },
    { name: 'not while one dependency is still running', nodes: nodes('a=completed', 'b=running', 'c:a,b=pending'), ready: ['b'] },
    { name: 'nothing when every spec finished', nodes: nodes('a=completed', 'b:a=failed', 'c:b=blocked'), ready: [] },
  ])('$name', ({ nodes: graphNodes, ready }) => {
    expect(readySpecs(graphNodes)).toEqual(ready);
  });
});

describe('schedule', () => {
  it.each([
    {
      name: 'starts every root of a new graph when the limit allows',
      nodes: nodes('a=pending', 'b=pending', 'c:a=pending'),
      max: 3,
      step: { block: [], start: ['a', 'b'], status: 'running' },
    },
    {
      name: 'starts roots in request order, up to the limit',
      nodes: nodes('a=pending', 'b=pending', 'c=pending', 'd=pending'),
      max: 2,
      step: { block: [], start: ['a', 'b'], status: 'running' },
    },
    {
      name: 'fills only the free slots',
      nodes: nodes('a=running', 'b=completed', 'c:b=pending', 'd:b=pending'),
      max: 2,
      step: { block: [], start: ['c'], status: 'running' },
    },
    {
      name: 'starts nothing when every slot is taken',
      nodes: nodes('a=running', 'b=running', 'c=pending'),
      max: 2,
      step: { block: [], start: [], status: 'running' },
    },
    {
      name: 'waits for every dependency',
      nodes: nodes('a=completed', 'b=running', 'c:a,b=pending'),
      max: 3,
      step: { block: [], start: [], status: 'running' },
    },
    {
      name: 'blocks the dependents of a failed spec, transitively, and keeps independent specs going',
      nodes: nodes('a=failed', 'b:a=pending', 'c:b=pending', 'd=pending', 'e:d,c=pending'),
      max: 3,
      step: { block: ['b', 'c', 'e'], start: ['d'], status: 'running' },
    },
    {
      name: 'blocks dependents listed before the spec they wait on',
      nodes: nodes('c:b=pending', 'b:a=pending', 'a=failed'),
      max: 3,
      step: { block: ['c', 'b'], start: [], status: 'failed' },
    },
    {
      name: 'completes when every spec completed',
      nodes: nodes('a=completed', 'b:a=completed'),
      max: 1,
      step: { block: [], start: [], status: 'completed' },
    },
    {
      name: 'stays running while one spec still runs after another failed',
      nodes: nodes('a=failed', 'b=running'),
      max: 3,
      step: { block: [], start: [], status: 'running' },
    },
    {
      name: 'fails once nothing is pending or running and a spec failed',
      nodes: nodes('a=failed', 'b=completed', 'c:a=blocked'),
      max: 3,
      step: { block: [], start: [], status: 'failed' },
    },
  ])('$name', ({ nodes: graphNodes, max, step }) => {
    expect(schedule(graphNodes, max)).toEqual(step);
  });

  it('never starts more than the limit, however many specs are ready', () => {
    const many = Array.from({ length: 200 }, (_, i): GraphNode => ({ specId: `s${i}`, dependsOn: [], status: 'pending' }));
    for (const max of [1, 3, 50, 200]) expect(schedule(many, max).start).toHaveLength(max);
  });
});
