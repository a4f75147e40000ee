import { describe, expect, it } from 'vitest';
import {
  MCP_WARNING,
  RECOMMENDED_SERVERS,
  DEFAULT_MCP_COSTS,
  REFERENCE_MCP_COSTS,
  SESSION_STATE_MCP_TOKENS,
  analyzeMcpServers,
  costOf,
  definitionTokens,
  shareOfAvailable,
  type TaskType,
} from '../../src/modules/context/mcp-analysis.js';

const none = new Map<string, number>();

describe('costOf', () => {
  it.each([
    { name: 'context7', own: none, expected: { toolDefinitionTokens: 2000, source: 'reference' } },
    { name: 'playwright', own: none, expected: { toolDefinitionTokens: 3000, source: 'reference' } },
    { name: 'github', own: none, expected: { toolDefinitionTokens: 0, source: 'unknown' } },
    { name: 'github', own: new Map([['github', 1200]]), expected: { toolDefinitionTokens: 1200, source: 'project' } },
    { name: 'context7', own: new Map([['context7', 0]]), expected: { toolDefinitionTokens: 0, source: 'project' } },
    { name: 'Context7', own: none, expected: { toolDefinitionTokens: 0, source: 'unknown' } },
    { name: 'constructor', own: none, expected: { toolDefinitionTokens: 0, source: 'unknown' } },
    { name: '__proto__', own: none, expected: { toolDefinitionTokens: 0, source: 'unknown' } },
  ])('$name with project costs $own costs $expected.toolDefinitionTokens ($expected.source)', ({ name, own, expected }) => {
    expect(costOf(name, own)).toEqual({ name, ...expected });
  });
});

describe('analyzeMcpServers', () => {
  it.each([
    { servers: [], total: 0, warning: null },
    { servers: ['context7'], total: 2000, warning: null },
    { servers: ['context7', 'playwright'], total: 5000, warning: null },
    { servers: ['context7', 'playwright', 'unknown'], total: 5000, warning: null },
    { servers: ['context7', 'playwright', 'extra'], own: new Map([['extra', 1]]), total: 5001, warning: MCP_WARNING },
    { servers: ['playwright'], own: new Map([['playwright', 5001]]), total: 5001, warning: MCP_WARNING },
  ])('totals $servers at $total tokens, warning above 5,000: $warning', ({ servers, own = none, total, warning }) => {
    const analysis = analyzeMcpServers({ servers, projectCosts: own });
    expect(analysis).toMatchObject({ totalTokens: total, warning });
  });

  it('keeps the servers in the order given', () => {
    expect(analyzeMcpServers({ servers: ['playwright', 'x', 'context7'], projectCosts: none }).servers.map((s) => s.name)).toEqual([
      'playwright',
      'x',
      'context7',
    ]);
  });

  it.each<{ taskType: TaskType; servers: string[]; recommended: string[]; toDisable: string[]; toEnable: string[] }>([
    { taskType: 'code_analysis', servers: [], recommended: ['context7'], toDisable: [], toEnable: ['context7'] },
    { taskType: 'code_analysis', servers: ['context7'], recommended: ['context7'], toDisable: [], toEnable: [] },
    { taskType: 'code_analysis', servers: ['playwright', 'context7', 'x'], recommended: ['context7'], toDisable: ['playwright', 'x'], toEnable: [] },
    { taskType: 'web_interaction', servers: ['context7'], recommended: ['playwright'], toDisable: ['context7'], toEnable: ['playwright'] },
    { taskType: 'general', servers: ['context7', 'playwright'], recommended: [], toDisable: ['context7', 'playwright'], toEnable: [] },
    { taskType: 'general', servers: [], recommended: [], toDisable: [], toEnable: [] },
  ])('for $taskType with $servers: disable $toDisable, enable $toEnable', ({ taskType, servers, ...expected }) => {
    expect(analyzeMcpServers({ servers, taskType, projectCosts: none })).toMatchObject({ taskType, ...expected });
  });

  it('recommends nothing and changes nothing without a task type', () => {
    expect(analyzeMcpServers({ servers: ['context7', 'x'], projectCosts: none })).toMatchObject({
      taskType: null,
      recommended: null,
      toDisable: [],
      toEnable: [],
    });
  });

  it('returns a copy of the recommendation, never the shared table', () => {
    const analysis = analyzeMcpServers({ servers: [], taskType: 'code_analysis', projectCosts: none });
    analysis.recommended!.push('mutated');
    expect(RECOMMENDED_SERVERS.code_analysis).toEqual(['context7']);
  });
});

describe('shareOfAvailable', () => {
  it.each([
    { tokens: 5000, available: 40_000, share: 12.5, after: 35_000 },
    { tokens: 0, available: 40_000, share: 0, after: 40_000 },
    { tokens: 1, available: 3, share: 33.33, after: 2 },
    { tokens: 2, available: 3, share: 66.67, after: 1 },
    { tokens: 1, available: 200_000, share: 0, after: 199_999 },
    { tokens: 1, available: 200, share: 0.5, after: 199 },
    { tokens: 3000, available: 2000, share: 150, after: -1000 },
    { tokens: 2000, available: 0, share: null, after: -2000 },
    { tokens: 2000, available: -500, share: null, after: -2500 },
  ])('$tokens tokens of $available available: $share%, $after left', ({ tokens, available, share, after }) => {
    expect(shareOfAvailable(tokens, available)).toEqual({ availableTokens: available, sharePercent: share, availableAfter: after });
  });
});

describe('the reference tables', () => {
  it('hold the costs and recommendations of section 2', () => {
    expect(Object.fromEntries(REFERENCE_MCP_COSTS)).toEqual({ context7: 2000, playwright: 3000 });
    expect(RECOMMENDED_SERVERS).toEqual({ code_analysis: ['context7'], web_interaction: ['playwright'], general: [] });
  });

  it("know this service's own MCP server besides the reference's, under 2,000 tokens", () => {
    expect(Object.fromEntries(DEFAULT_MCP_COSTS)).toEqual({ context7: 2000, playwright: 3000, 'session-state': SESSION_STATE_MCP_TOKENS });
    expect(SESSION_STATE_MCP_TOKENS).toBeLessThan(2000);
  });
});

describe('definitionTokens', () => {
  it.each([
    [[], 1],
    [{ tools: [] }, 3],
    [{ name: 'abcd' }, 4],
    ['x'.repeat(398), 100],
    ['x'.repeat(399), 101],
  ])('counts a token per 4 characters of the JSON of %j, rounded up', (definitions, tokens) => {
    expect(definitionTokens(definitions)).toBe(tokens);
  });
});
