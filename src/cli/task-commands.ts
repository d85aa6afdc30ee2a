import type { Command } from 'commander';
import type { ListTasksResponse, Task } from '../protocol/index.js';
import { baseOf, GatewayError, httpError, request, rpcCall, withUrl } from './remote.js';
import { clip, printListing } from './table.js';
import { describeTask, messageText, stateName, wireState } from './task-text.js';

interface ListOptions {
  url: string;
  state?: string;
  context?: string;
  tenant?: string;
  limit: string;
  json?: boolean;
}

/** What `GET /tasks/{id}?asOf=` answers: the task as it was after one stored event. */
interface TaskAsOf {
  task: Task;
  position: string;
  time: string;
}

/** The protocol bounds a page of ListTasks to 100 tasks. */
const PAGE = 100;

/** `tasks list|show|cancel`: a running gateway's tasks over JSON-RPC. */
export function registerTaskCommands(program: Command): void {
  const tasks = program.command('tasks').description("a running gateway's tasks (JSON-RPC)");
  const endpoint = (url: string) => `${baseOf(url)}/`;

  withUrl(tasks.command('list').description('list tasks, most recently updated first'))
    .option('--state <state>', 'only in this state: working, completed, input-required, …')
    .option('--context <contextId>', 'only of this context')
    .option('--tenant <tenant>', 'the tenant to list')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print the tasks as JSON')
    .action(async (options: ListOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new GatewayError('--limit: a whole number above 0');
      const found: Task[] = [];
      let pageToken: string | undefined;
      do {
        const page = await rpcCall<ListTasksResponse>(endpoint(options.url), 'ListTasks', {
          ...(options.tenant ? { tenant: options.tenant } : {}),
          ...(options.context ? { contextId: options.context } : {}),
          ...(options.state ? { status: wireState(options.state) } : {}),
          pageSize: Math.min(PAGE, limit - found.length),
          historyLength: 0,
          ...(pageToken ? { pageToken } : {}),
        });
        found.push(...page.tasks);
        pageToken = page.nextPageToken || undefined;
      } while (pageToken && found.length < limit);
      printListing(found, { json: options.json, empty: 'no tasks' }, [
        ['ID', (task) => task.id],
        ['STATE', (task) => stateName(task.status.state)],
        ['UPDATED', (task) => task.status.timestamp ?? '-'],
        ['CONTEXT', (task) => task.contextId ?? '-'],
        ['STATUS', (task) => clip(messageText(task.status.message))],
      ]);
    });

  withUrl(tasks.command('show').description('one task: status, artifacts, history'))
    .argument('<id>', 'the task id')
    .option('--tenant <tenant>', 'the tenant it belongs to')
    .option('--as-of <when>', 'as it was at this ISO time or global position')
    .option('--json', 'print the task as JSON')
    .action(
      async (
        id: string,
        options: { url: string; tenant?: string; asOf?: string; json?: boolean },
      ) => {
        if (options.asOf !== undefined) {
          const then = await taskAsOf(options.url, id, options.asOf, options.tenant);
          if (options.json) console.log(JSON.stringify(then, null, 2));
          else
            console.log(
              `as of position ${then.position} (${then.time})\n${describeTask(then.task)}`,
            );
          return;
        }
        const task = await rpcCall<Task>(endpoint(options.url), 'GetTask', {
          id,
          ...(options.tenant ? { tenant: options.tenant } : {}),
        });
        console.log(options.json ? JSON.stringify(task, null, 2) : describeTask(task));
      },
    );

  withUrl(tasks.command('cancel').description('cancel a task that has not ended'))
    .argument('<id>', 'the task id')
    .option('--tenant <tenant>', 'the tenant it belongs to')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, options: { url: string; tenant?: string; json?: boolean }) => {
      const task = await rpcCall<Task>(endpoint(options.url), 'CancelTask', {
        id,
        ...(options.tenant ? { tenant: options.tenant } : {}),
      });
      console.log(
        options.json
          ? JSON.stringify(task, null, 2)
          : `task ${task.id}: ${stateName(task.status.state)}`,
      );
    });
}

/** The task folded up to `asOf` (an ISO time or a global position) by the gateway. */
async function taskAsOf(
  url: string,
  id: string,
  asOf: string,
  tenant: string | undefined,
): Promise<TaskAsOf> {
  const path = `${tenant ? `/${encodeURIComponent(tenant)}` : ''}/tasks/${encodeURIComponent(id)}`;
  const target = `${baseOf(url)}${path}?asOf=${encodeURIComponent(asOf)}`;
  const response = await request(target, { headers: { accept: 'application/json' } });
  if (response.status === 404) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    // The app's catch-all answers an unknown route: a gateway older than the as-of route.
    if (body.message?.startsWith('no route for'))
      throw new GatewayError(
        `${baseOf(url)} has no as-of route (GET /tasks/{id}?asOf=): ${body.message}`,
      );
    throw new GatewayError(`task ${id} did not exist as of ${asOf}`);
  }
  if (!response.ok) throw await httpError(target, response);
  return (await response.json()) as TaskAsOf;
}
