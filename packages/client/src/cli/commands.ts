// The troubleshooting commands of the reference (section 6), each one API call: the table a
// person reads, or with --json the API's JSON unchanged.
import type { QueryOf } from '../index.js';
import type { Command, CommandContext } from './context.js';
import { pct, table } from './format.js';
import { budgetText, checkpointsTable, deliveriesText, sessionFields, sessionsTable, usageHeaders, usageRow } from './views.js';
import { watchCommand } from './watch.js';

type SessionStatus = NonNullable<QueryOf<'listSessions'>['status']>;

const printJson = (context: CommandContext, value: unknown) => context.out(JSON.stringify(value, null, 2));

const more = (nextCursor: string | null | undefined, shown: number) =>
  nextCursor ? `\n(the newest ${shown} shown; more with --limit, up to 200)` : '';

const path = (id: string) => ({ path: { id } });
const limitQuery = (context: CommandContext) => (context.flags.limit === undefined ? {} : { query: { limit: context.flags.limit } });

export const commands: Record<string, Command> = {
  sessions: {
    usage: 'sessions [--status S] [--task-id T] [--limit N]',
    summary: "the project's sessions, newest first, filtered by status and task",
    takesId: false,
    async run(context) {
      const { status, taskId, limit } = context.flags;
      const query = {
        ...(status === undefined ? {} : { status: status as SessionStatus }),
        ...(taskId === undefined ? {} : { task_id: taskId }),
        ...(limit === undefined ? {} : { limit }),
      };
      const page = await context.client.sessions.list(query).firstPage();
      if (context.json) return printJson(context, { data: page.data, next_cursor: page.next_cursor });
      context.out(sessionsTable(page.data) + more(page.next_cursor, page.data.length));
    },
  },
  budget: {
    usage: 'budget <session_id>',
    takesId: true,
    summary: 'token budget, level, recommendations and forecast of a session',
    async run(context, id) {
      const { data } = await context.client.GET('/v1/sessions/{id}/budget', { params: path(id) });
      if (context.json) return printJson(context, data);
      context.out(budgetText(data));
    },
  },
  checkpoints: {
    usage: 'checkpoints <session_id> [--limit N]',
    takesId: true,
    summary: "a session's checkpoints, newest first",
    async run(context, id) {
      const { data } = await context.client.GET('/v1/sessions/{id}/checkpoints', { params: { ...path(id), ...limitQuery(context) } });
      if (context.json) return printJson(context, data);
      context.out(checkpointsTable(data.data) + more(data.next_cursor, data.data.length));
    },
  },
  restore: {
    usage: 'restore <checkpoint_id>',
    takesId: true,
    summary: "make a checkpoint's snapshot the session's context again (status active)",
    async run(context, id) {
      const { data } = await context.client.POST('/v1/checkpoints/{id}/restore', { params: path(id), body: {} });
      if (context.json) return printJson(context, data);
      context.out(`Restored ${id} into ${data.session_id}.\n\n${sessionFields(data)}`);
    },
  },
  recover: {
    usage: 'recover <session_id>',
    takesId: true,
    summary: 'emergency recovery: final checkpoint, session archived, a new session with a fresh budget',
    async run(context, id) {
      const { data } = await context.client.POST('/v1/sessions/{id}/emergency-recovery', { params: path(id), body: {} });
      if (context.json) return printJson(context, data);
      const { checkpoint } = data;
      context.out(
        `Recovered ${data.original_session_id} (now archived) into ${data.new_session.session_id}.\n` +
          `Final checkpoint ${checkpoint.checkpoint_id} (${checkpoint.phase}) at ${pct(checkpoint.token_usage.position_percent)} used.\n\n` +
          `New session\n${sessionFields(data.new_session)}`,
      );
    },
  },
  usage: {
    usage: 'usage <session_id> [--limit N]',
    takesId: true,
    summary: "a session's usage history, newest first",
    async run(context, id) {
      const { data } = await context.client.GET('/v1/sessions/{id}/usage', { params: { ...path(id), ...limitQuery(context) } });
      if (context.json) return printJson(context, data);
      context.out(table(usageHeaders, data.data.map(usageRow), '(no usage yet)') + more(data.next_cursor, data.data.length));
    },
  },
  deliveries: {
    usage: 'deliveries <webhook_id> [--limit N]',
    takesId: true,
    summary: "a webhook's deliveries and every attempt (status, duration, error or response)",
    async run(context, id) {
      const { data } = await context.client.GET('/v1/webhooks/{id}/deliveries', { params: { ...path(id), ...limitQuery(context) } });
      if (context.json) return printJson(context, data);
      context.out(deliveriesText(data.data) + more(data.next_cursor, data.data.length));
    },
  },
  watch: watchCommand,
};
