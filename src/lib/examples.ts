// The ids and names the OpenAPI examples use, one walk-through: the session that the usage,
// checkpoint and handoff examples name is the one the create example makes, and so on. They look
// like real ids; test/api/openapi-examples.test.ts replaces each with the id of an object it creates
// (from the documented examples themselves) before it executes an example.
export const EXAMPLE = {
  projectId: 'proj_01a252c39c7477f396fa25de2eec888c',
  apiKeyId: 'key_01a252c39c887ea7a7d826de3d81538c',
  sessionId: 'sess_01a252c39c91724fa500d7794bd6f1bf',
  forkSessionId: 'sess_01a252c39c91724fa500d77a45bda549',
  checkpointId: 'ckpt_01a252c39c91724fa500d77bdb91a4ef',
  handoffId: 'hoff_01a252c39c91724fa500d77ce2ff5ef4',
  orchestrationId: 'orch_01a252c39c91724fa500d77d6a196ac0',
  webhookId: 'wh_01a252c39c91724fa500d77e1bf7dbf7',
  eventId: 'evt_01a252c39c91724fa500d77fe2bf82dd',
  deliveryId: 'dlv_01a252c39c91724fa500d78039b6e7e2',
  reservationId: 'rsv_01a252c39c91724fa500d7819a3c5d10',
  /** An agent's name (PUT /v1/agents/{name}); the handoff example hands over to it. */
  agentName: 'code-reviewer',
  /** The agent the handoff example comes from. */
  fromAgentName: 'planner',
  mcpServerName: 'context7',
  /** The spec of the orchestration example that runs first (it depends on nothing). */
  specId: 'design',
  taskId: 'refactor-billing-module',
  model: 'claude-sonnet-4-5-20250929',
  timestamp: '2026-12-07T14:03:12.345Z',
} as const;
