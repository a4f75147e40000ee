/**
 * The dependency graph of an orchestration, as pure functions: what makes a graph invalid (each
 * problem named, a cycle spelled out spec by spec) and, for a valid graph, which specs start, which
 * can never start, and how the whole ends. Edges point from a spec to the specs it depends on.
 */
import type { FieldError } from '../../lib/errors.js';

/**
 * `pending` waits for its dependencies or for a free slot; `running` has a session; `completed` and
 * `failed` were reported by the client; `blocked` can never start because a dependency failed.
 */
export const NODE_STATUSES = ['pending', 'running', 'completed', 'failed', 'blocked'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** `running` while any spec is pending or running; then `completed` if every spec completed, else `failed`. */
export const ORCHESTRATION_STATUSES = ['running', 'completed', 'failed'] as const;
export type OrchestrationStatus = (typeof ORCHESTRATION_STATUSES)[number];

export interface SpecInput {
  specId: string;
  dependsOn: readonly string[];
}

export interface GraphNode extends SpecInput {
  status: NodeStatus;
}

/** The arrow of a named cycle: `a → b` reads "a depends on b". */
export const DEPENDS_ON_ARROW = ' → ';

/** The cycle as clients read it: `a → b → c → a`, each spec depending on the next. */
export const cycleName = (cycle: readonly string[]): string => [...cycle, cycle[0]].join(DEPENDS_ON_ARROW);

/** Index of the first spec with each id; later duplicates are errors and do not shape the graph. */
function firstPositions(specs: readonly SpecInput[]): Map<string, number> {
  const positions = new Map<string, number>();
  specs.forEach((spec, position) => {
    if (!positions.has(spec.specId)) positions.set(spec.specId, position);
  });
  return positions;
}

/**
 * The strongly connected components of the graph (Tarjan), each a set of specs that all depend on
 * one another; self-dependencies and unknown dependencies are left out (reported on their own).
 */
function stronglyConnected(specs: readonly SpecInput[], edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  // Recursion depth is bounded by the number of specs (at most MAX_SPECS on the wire).
  const visit = (node: string): void => {
    index.set(node, counter);
    lowLink.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component);
    }
  };
  for (const spec of specs) if (!index.has(spec.specId)) visit(spec.specId);
  return components;
}

/** The shortest cycle from `start` back to it, staying inside `members` (breadth-first). */
function shortestCycleThrough(start: string, members: ReadonlySet<string>, edges: Map<string, string[]>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return path;
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  // Unreachable for a strongly connected component of two or more specs.
  return [start];
}

interface CycleGroup {
  /** The shortest cycle from the group's earliest spec back to it. */
  cycle: string[];
  /** Every spec of the group, in request order. */
  group: string[];
}

/** The groups of specs that depend on one another (two or more), in request order of their earliest spec. */
function cycleGroups(specs: readonly SpecInput[]): CycleGroup[] {
  const positions = firstPositions(specs);
  const edges = new Map<string, string[]>();
  for (const [specId, position] of positions) {
    const dependsOn = specs[position]!.dependsOn.filter((dep) => dep !== specId && positions.has(dep));
    edges.set(specId, [...new Set(dependsOn)]);
  }
  const byPosition = (a: string, b: string) => positions.get(a)! - positions.get(b)!;
  return stronglyConnected(specs, edges)
    .filter((component) => component.length > 1)
    .map((component) => component.sort(byPosition))
    .sort((a, b) => byPosition(a[0]!, b[0]!))
    .map((group) => ({ cycle: shortestCycleThrough(group[0]!, new Set(group), edges), group }));
}

/**
 * One cycle for each group of specs that depend on one another, as spec ids from the group's
 * earliest spec (in request order), each depending on the next and the last on the first: the
 * shortest such cycle, following `depends_on` in the order given. Groups come in request order.
 */
export const findCycles = (specs: readonly SpecInput[]): string[][] => cycleGroups(specs).map(({ cycle }) => cycle);

const quoted = (specId: string) => JSON.stringify(specId);

/**
 * Every problem of the graph, in request order (spec by spec, then the cycles); empty when it is a
 * valid DAG. Paths name the request field as validation errors do (`body.specs.2.depends_on.0`).
 */
export function graphErrors(specs: readonly SpecInput[]): FieldError[] {
  const positions = firstPositions(specs);
  const errors: FieldError[] = [];
  specs.forEach((spec, i) => {
    const first = positions.get(spec.specId)!;
    if (first !== i) {
      errors.push({
        path: `body.specs.${i}.spec_id`,
        message: `duplicates spec ${quoted(spec.specId)} of body.specs.${first}: spec ids must be unique`,
      });
    }
    spec.dependsOn.forEach((dep, j) => {
      const path = `body.specs.${i}.depends_on.${j}`;
      if (dep === spec.specId) errors.push({ path, message: `spec ${quoted(dep)} depends on itself` });
      else if (!positions.has(dep))
        errors.push({ path, message: `names unknown spec ${quoted(dep)}: a dependency must be a spec of this orchestration` });
    });
  });
  for (const { cycle, group } of cycleGroups(specs)) {
    const others = group.filter((specId) => !cycle.includes(specId));
    errors.push({
      path: `body.specs.${positions.get(cycle[0]!)!}.depends_on`,
      message:
        `dependency cycle: ${cycleName(cycle)}` +
        (others.length > 0 ? ` (also caught in cycles with these specs: ${others.map(quoted).join(', ')})` : ''),
    });
  }
  return errors;
}

const statusesOf = (nodes: readonly GraphNode[]) => new Map(nodes.map((node) => [node.specId, node.status]));

const dependenciesComplete = (node: SpecInput, statuses: Map<string, NodeStatus>) => node.dependsOn.every((dep) => statuses.get(dep) === 'completed');

/** Specs whose dependencies are all complete and that have not finished: running, or pending for a free slot. */
export function readySpecs(nodes: readonly GraphNode[]): string[] {
  const statuses = statusesOf(nodes);
  return nodes
    .filter((node) => (node.status === 'pending' || node.status === 'running') && dependenciesComplete(node, statuses))
    .map((node) => node.specId);
}

export interface ScheduleStep {
  /** Pending specs that can never start: a dependency failed or is blocked itself (transitively). */
  block: string[];
  /** Pending specs to start now, their dependencies complete, in request order, up to the free slots. */
  start: string[];
  /** The orchestration's status once both are applied. */
  status: OrchestrationStatus;
}

/** What follows from the nodes' statuses under a limit of `maxParallel` running specs. */
export function schedule(nodes: readonly GraphNode[], maxParallel: number): ScheduleStep {
  const statuses = statusesOf(nodes);
  const cannotStart = (status: NodeStatus | undefined) => status === 'failed' || status === 'blocked';
  // Blocking spreads down the graph one level per pass; in a DAG this ends within nodes.length passes.
  for (let changed = true; changed;) {
    changed = false;
    for (const node of nodes) {
      if (statuses.get(node.specId) === 'pending' && node.dependsOn.some((dep) => cannotStart(statuses.get(dep)))) {
        statuses.set(node.specId, 'blocked');
        changed = true;
      }
    }
  }
  const block = nodes.filter((node) => node.status === 'pending' && statuses.get(node.specId) === 'blocked').map((node) => node.specId);

  const running = nodes.filter((node) => node.status === 'running').length;
  const start = nodes
    .filter((node) => statuses.get(node.specId) === 'pending' && dependenciesComplete(node, statuses))
    .slice(0, Math.max(0, maxParallel - running))
    .map((node) => node.specId);
  for (const specId of start) statuses.set(specId, 'running');

  const final = [...statuses.values()];
  const status: OrchestrationStatus = final.some((s) => s === 'pending' || s === 'running')
    ? 'running'
    : final.every((s) => s === 'completed')
      ? 'completed'
      : 'failed';
  return { block, start, status };
}
