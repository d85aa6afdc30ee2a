import { randomUUID } from 'node:crypto';
import { currentTraceparent } from '../observability/index.js';
import type {
  AgentCard,
  CancelTaskRequest,
  DeleteTaskPushNotificationConfigRequest,
  GetTaskPushNotificationConfigRequest,
  GetTaskRequest,
  ListTaskPushNotificationConfigsRequest,
  ListTaskPushNotificationConfigsResponse,
  ListTasksRequest,
  ListTasksResponse,
  SendMessageRequest,
  SendMessageResponse,
  StreamResponse,
  SubscribeToTaskRequest,
  Task,
  TaskPushNotificationConfig,
} from '../protocol/index.js';
import {
  type CommandContext,
  isSettled,
  isTerminal,
  newTaskId,
  type PushConfig,
  type SubmitTaskCommand,
  type TaskAggregate,
  type TaskCommands,
  type TaskFollower,
  type TaskUpdate,
  type TaskView,
  toStreamResponse,
  toTask,
} from '../tasks/index.js';
import { type AgentCards, createAgentCards } from './agent-cards.js';
import { A2aError } from './errors.js';
import type { HostedAgent } from './hosted-agents.js';
import { assertAcceptedParts } from './input-modes.js';

/** Who is asking, on behalf of which tenant, about which hosted agent. */
export interface RequestContext {
  agent: HostedAgent;
  /** '' is the default tenant. */
  tenant: string;
  /** Authenticated caller; 'anonymous' until auth is configured. */
  principal: string;
  /** The caller holds the admin scope: it may act on tasks other principals created. */
  admin?: boolean;
  correlationId: string;
  /** `Idempotency-Key` header: a retried SendMessage returns the task its first try made. */
  idempotencyKey?: string;
  /** `Last-Event-ID` header of a reconnecting SSE client: the position it saw last. */
  lastEventId?: number;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /**
   * The base URL cards advertise to this request (PUBLIC_URL, or the Host it was sent to),
   * worked out when asked: only GetExtendedAgentCard needs it.
   */
  cardBaseUrl?: () => string;
}

/** One event of an SSE stream: its store position (the SSE `id`) and what the client sees. */
export interface StreamItem {
  position: number;
  response: StreamResponse;
}

export interface A2aServiceDependencies {
  commands: TaskCommands;
  view: TaskView;
  /**
   * A task's updates after the state `after` (from its first event when undefined), stored
   * then live (tasks/follow-task.ts).
   */
  follow: (
    taskId: string,
    options: { after?: TaskAggregate; unstored?: boolean; signal?: AbortSignal },
  ) => TaskFollower;
  /** The task as it stood at a position a client saw (tasks/follow-task.ts `taskAt`). */
  taskAt: (taskId: string, position: number) => Promise<TaskAggregate | undefined>;
  /** Waits (bounded) until the task view has folded every write completed before the call. */
  catchUp: () => Promise<void>;
  /**
   * Hands a new task to its agent's run, to be stored with the run's first report (the saga's
   * `stage`); false when it must be submitted first. Absent: always submitted first.
   */
  stage?: (command: SubmitTaskCommand, context: CommandContext) => boolean;
  /** Only the principal that created a task may cancel it (AUTH_OWNER_ONLY_CANCEL). */
  ownerOnlyCancel?: boolean;
  /** The cards as served, shared with the card routes; absent: unsigned, no security. */
  cards?: AgentCards;
  /**
   * Push notifications (§3.1.7–§3.1.10), when the gateway delivers them; absent: every push
   * method, and a SendMessage carrying a webhook, answers PUSH_NOTIFICATION_NOT_SUPPORTED.
   */
  push?: PushSupport;
  now?: () => Date;
}

export interface PushSupport {
  /** Why a webhook URL may not be used (the SSRF rules), or undefined when it may. */
  refuseUrl(url: string): Promise<string | undefined>;
}

/** A message taken: the task as stored, or staged with its run and followed already. */
interface Accepted {
  taskId: string;
  task?: TaskAggregate;
  /** Staged: the task's updates, followed since before its run could store anything. */
  follower?: TaskFollower;
}

function followFrom(after: TaskAggregate | undefined, signal: AbortSignal | undefined) {
  return { ...(after ? { after } : {}), ...(signal ? { signal } : {}) };
}

/** A stream waits this long for the agent's first update to tell a Message reply from a task. */
const FIRST_UPDATE_WAIT_MS = 1_000;

/**
 * The A2A operations over the event-sourced tasks. Params arrive validated; results are
 * v1.0 objects; errors are thrown as domain errors or A2aError for the binding to map.
 */
export function createA2aService(deps: A2aServiceDependencies) {
  const now = deps.now ?? (() => new Date());
  const cards = deps.cards ?? createAgentCards();

  function commandContext(ctx: RequestContext): CommandContext {
    // The request's span (http/trace-context.ts), when the gateway traces.
    const traceparent = currentTraceparent();
    return {
      tenant: ctx.tenant,
      principal: ctx.principal,
      correlationId: ctx.correlationId,
      source: 'a2a',
      ...(traceparent ? { traceparent } : {}),
    };
  }

  /**
   * Takes the message: a follow-up on the task it names (§3.4), or a new task. A caller that
   * reports nothing before the task's first update may let a new task be `staged`: stored
   * with its run's first report, one commit less; `task` is then undefined (not stored yet).
   */
  async function accept(
    params: SendMessageRequest,
    ctx: RequestContext,
    staging: boolean,
  ): Promise<Accepted> {
    assertAcceptedParts(params.message, ctx.agent.card.defaultInputModes);
    const webhook = params.configuration?.taskPushNotificationConfig;
    if (webhook) await checkWebhook(webhook.url, 'configuration.taskPushNotificationConfig.url');
    const at = now().toISOString();
    const { message } = params;
    if (message.taskId) {
      // The webhook goes first, in the same append: it hears the update the message causes.
      const result = await deps.commands.handle(
        message.taskId,
        [
          ...(webhook
            ? [
                {
                  type: 'SetPushConfig' as const,
                  config: pushConfigOf(webhook, webhook.id || message.taskId),
                  at,
                },
              ]
            : []),
          { type: 'ReceiveMessage', message, at },
        ],
        commandContext(ctx),
      );
      return { taskId: result.task.id, task: result.task };
    }
    const taskId = newTaskId(
      ctx.idempotencyKey
        ? { tenant: ctx.tenant, principal: ctx.principal, key: ctx.idempotencyKey }
        : undefined,
    );
    const submit: SubmitTaskCommand = {
      type: 'SubmitTask',
      taskId,
      // An empty contextId is none (as decide and ListTasks read it): the event schema refuses
      // '' and a staged submission it refuses would leave the request waiting for ever.
      contextId: message.contextId || randomUUID(),
      agent: ctx.agent.name,
      message,
      ...(params.metadata ? { metadata: params.metadata } : {}),
      // Without an id the config is keyed by its task, as v0.3 clients expect (their `get`
      // without a config id asks for the task's).
      ...(webhook ? { pushConfig: pushConfigOf(webhook, webhook.id || taskId) } : {}),
      at,
    };
    if (staging && deps.stage) {
      // Following starts before the run can store anything. A random id is known to nobody
      // else: its stream has nothing stored to read yet.
      const follower = deps.follow(taskId, {
        ...(ctx.idempotencyKey ? {} : { unstored: true }),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (deps.stage(submit, commandContext(ctx))) return { taskId, follower };
      follower.close();
    }
    const result = await deps.commands.handle(taskId, submit, commandContext(ctx));
    return { taskId, task: result.task };
  }

  /** Follows the task until `until` holds or the client leaves. */
  async function waitFor(
    accepted: Accepted,
    until: (task: TaskAggregate) => boolean,
    signal?: AbortSignal,
  ): Promise<TaskAggregate> {
    const { taskId, task: from } = accepted;
    if (from && until(from)) return from;
    let current = from;
    for await (const update of accepted.follower ?? deps.follow(taskId, followFrom(from, signal))) {
      current = update.task;
      if (until(current)) break;
    }
    // Nothing stored yet and the follow ended: the client has gone.
    if (!current) throw new A2aError('INTERNAL_ERROR', `task ${taskId} was not stored`);
    return current;
  }

  /** Updates as stream items, until `last` says to stop. */
  async function* itemsOf(
    source: AsyncIterable<TaskUpdate>,
    last: (task: TaskAggregate) => boolean,
  ): AsyncGenerator<StreamItem> {
    for await (const { event, task } of source) {
      const response = toStreamResponse(task, event);
      if (response) yield { position: event.globalPosition, response };
      if (last(task)) return;
    }
  }

  /** The task's updates after `from` as stream items, until `last` says to stop. */
  function updates(
    from: TaskAggregate,
    last: (task: TaskAggregate) => boolean,
    signal?: AbortSignal,
  ): AsyncGenerator<StreamItem> {
    return itemsOf(deps.follow(from.id, { after: from, ...(signal ? { signal } : {}) }), last);
  }

  const endsSendStream = (task: TaskAggregate) => isSettled(task) || task.reply !== undefined;

  /** The gateway delivers push notifications, or the caller learns it does not (§3.3.4). */
  function pushSupport(): PushSupport {
    if (!deps.push) {
      throw new A2aError(
        'PUSH_NOTIFICATION_NOT_SUPPORTED',
        'push notifications are turned off on this gateway',
      );
    }
    return deps.push;
  }

  /** A webhook URL the SSRF rules allow, or INVALID_PARAMS saying why not (§13.2). */
  async function checkWebhook(url: string, field: string): Promise<void> {
    const reason = await pushSupport().refuseUrl(url);
    if (reason !== undefined) {
      throw new A2aError('INVALID_PARAMS', `webhook URL refused: ${reason}`, { field });
    }
  }

  /** The task, push configs current, or TASK_NOT_FOUND. */
  async function taskWithConfigs(taskId: string, ctx: RequestContext): Promise<TaskAggregate> {
    pushSupport();
    const task = await deps.commands.get(taskId, ctx.tenant, { pushConfigs: true });
    if (!task) throw notFound(taskId);
    return task;
  }

  return {
    /** Whether the push methods are served (else they answer PUSH_NOTIFICATION_NOT_SUPPORTED). */
    pushEnabled: deps.push !== undefined,

    async sendMessage(
      params: SendMessageRequest,
      ctx: RequestContext,
    ): Promise<SendMessageResponse> {
      const waits = !params.configuration?.returnImmediately;
      const accepted = await accept(params, ctx, waits);
      const task = waits
        ? await waitFor(accepted, (t) => isSettled(t) && !t.pendingRun, ctx.signal)
        : accepted.task!;
      if (task.reply) return { message: task.reply };
      return { task: toTask(task, { historyLength: params.configuration?.historyLength }) };
    },

    /**
     * §3.1.2: a Task first, then its updates, closing at a terminal or interrupted state; or,
     * when the agent answers with a Message, that Message alone.
     */
    async sendStreamingMessage(
      params: SendMessageRequest,
      ctx: RequestContext,
    ): Promise<AsyncIterable<StreamItem>> {
      const accepted = await accept(params, ctx, true);
      const historyLength = params.configuration?.historyLength;
      return (async function* () {
        const source = (accepted.follower ??
          deps.follow(accepted.taskId, followFrom(accepted.task, ctx.signal)))[
          Symbol.asyncIterator
        ]();
        let start = accepted.task;
        if (!start) {
          // Staged: the first event stored is the submission, with the first update after it.
          const submitted = await source.next();
          if (submitted.done) return;
          start = submitted.value.task;
        }
        const snapshot: StreamItem = {
          position: start.position,
          response: { task: toTask(start, { historyLength }) },
        };
        const stream = itemsOf({ [Symbol.asyncIterator]: () => source }, endsSendStream)[
          Symbol.asyncIterator
        ]();
        try {
          if (endsSendStream(start)) {
            yield snapshot;
            return;
          }
          let pending: Promise<IteratorResult<StreamItem>> | undefined = stream.next();
          const first = await within(pending, FIRST_UPDATE_WAIT_MS);
          if (first !== 'timeout') {
            pending = undefined;
            if (!first.done && first.value.response.message) {
              yield first.value;
              return;
            }
          }
          yield snapshot;
          if (first !== 'timeout') {
            if (first.done) return;
            yield first.value;
          }
          for (
            let next = await (pending ?? stream.next());
            !next.done;
            next = await stream.next()
          ) {
            yield next.value;
          }
        } finally {
          await stream.return?.(undefined);
          await source.return?.(undefined);
        }
      })();
    },

    async getTask(params: GetTaskRequest, ctx: RequestContext): Promise<Task> {
      const task = await deps.commands.get(params.id, ctx.tenant);
      if (!task) throw notFound(params.id);
      return toTask(task, { historyLength: params.historyLength });
    },

    async listTasks(params: ListTasksRequest, ctx: RequestContext): Promise<ListTasksResponse> {
      await deps.catchUp();
      const pageSize = params.pageSize ?? 50;
      const page = await deps.view.list({
        tenant: ctx.tenant,
        pageSize,
        ...(params.contextId ? { contextId: params.contextId } : {}),
        ...(params.status && params.status !== 'TASK_STATE_UNSPECIFIED'
          ? { state: params.status }
          : {}),
        ...(params.statusTimestampAfter
          ? { statusTimestampAfter: params.statusTimestampAfter }
          : {}),
        ...(params.pageToken ? { pageToken: params.pageToken } : {}),
      });
      return {
        tasks: page.tasks.map((task) =>
          toTask(task, {
            historyLength: params.historyLength,
            includeArtifacts: params.includeArtifacts ?? false,
          }),
        ),
        nextPageToken: page.nextPageToken,
        pageSize,
        totalSize: page.totalSize,
      };
    },

    async cancelTask(params: CancelTaskRequest, ctx: RequestContext): Promise<Task> {
      if (deps.ownerOnlyCancel && !ctx.admin) {
        const task = await deps.commands.get(params.id, ctx.tenant);
        if (!task) throw notFound(params.id);
        if (task.owner !== undefined && task.owner !== ctx.principal) {
          throw new A2aError(
            'PERMISSION_DENIED',
            'only the principal that created this task may cancel it',
          );
        }
      }
      const result = await deps.commands.handle(
        params.id,
        { type: 'Cancel', at: now().toISOString() },
        commandContext(ctx),
      );
      return toTask(result.task);
    },

    /**
     * §3.1.6: the Task, then its updates until a terminal state. A client reconnecting with
     * `Last-Event-ID` gets exactly the events after that position instead of a new snapshot,
     * even if the task has ended meanwhile.
     */
    async subscribeToTask(
      params: SubscribeToTaskRequest,
      ctx: RequestContext,
    ): Promise<AsyncIterable<StreamItem>> {
      const task = await deps.commands.get(params.id, ctx.tenant);
      if (!task) throw notFound(params.id);
      const resume = ctx.lastEventId;
      if (resume !== undefined) return replayFrom(task, resume, ctx.signal);
      if (isTerminal(task)) {
        throw new A2aError(
          'UNSUPPORTED_OPERATION',
          `task ${task.id} is ${task.status.state}: nothing left to follow`,
        );
      }
      return (async function* () {
        yield { position: task.position, response: { task: toTask(task) } };
        yield* updates(task, isTerminal, ctx.signal);
      })();
    },

    /**
     * §3.1.11: the agent's card with what only authenticated callers see. Authentication is
     * checked before the call reaches here; an agent without an extension declares
     * `extendedAgentCard: false`, so it answers UnsupportedOperationError (§3.3.4).
     */
    async getExtendedAgentCard(_params: unknown, ctx: RequestContext): Promise<AgentCard> {
      const baseUrl = ctx.cardBaseUrl?.();
      if (baseUrl === undefined && ctx.agent.extendedCard) {
        throw new A2aError('INTERNAL_ERROR', 'no base URL to build the extended card with');
      }
      return cards.extended(ctx.agent, baseUrl ?? '', ctx.tenant || undefined);
    },

    /** §3.1.7: a webhook for the task's updates; the client's id, or one assigned. */
    async createTaskPushNotificationConfig(
      params: TaskPushNotificationConfig,
      ctx: RequestContext,
    ): Promise<TaskPushNotificationConfig> {
      pushSupport();
      const { taskId } = params;
      if (!taskId) {
        throw new A2aError('INVALID_PARAMS', 'invalid params: taskId: required', {
          field: 'taskId',
        });
      }
      await checkWebhook(params.url, 'url');
      const config = pushConfigOf(params, params.id || randomUUID());
      await deps.commands.handle(
        taskId,
        { type: 'SetPushConfig', config, at: now().toISOString() },
        commandContext(ctx),
      );
      return wirePushConfig(config, taskId, ctx);
    },

    /** §3.1.8: an unknown config is TaskNotFoundError, as the spec lists. */
    async getTaskPushNotificationConfig(
      params: GetTaskPushNotificationConfigRequest,
      ctx: RequestContext,
    ): Promise<TaskPushNotificationConfig> {
      const task = await taskWithConfigs(params.taskId, ctx);
      const config = task.pushConfigs?.find((c) => c.id === params.id);
      if (!config) {
        throw new A2aError(
          'TASK_NOT_FOUND',
          `push notification config ${params.id} of task ${params.taskId} not found`,
          { metadata: { taskId: params.taskId, configId: params.id } },
        );
      }
      return wirePushConfig(config, task.id, ctx);
    },

    /** §3.1.9: in the order they were set; a page token is the last id of the page before. */
    async listTaskPushNotificationConfigs(
      params: ListTaskPushNotificationConfigsRequest,
      ctx: RequestContext,
    ): Promise<ListTaskPushNotificationConfigsResponse> {
      const task = await taskWithConfigs(params.taskId, ctx);
      const configs = task.pushConfigs ?? [];
      let start = 0;
      if (params.pageToken) {
        start = configs.findIndex((c) => c.id === params.pageToken) + 1;
        if (start === 0) {
          throw new A2aError('INVALID_PARAMS', 'pageToken is not one this list gave', {
            field: 'pageToken',
          });
        }
      }
      const size = params.pageSize && params.pageSize > 0 ? params.pageSize : configs.length;
      const page = configs.slice(start, start + size);
      const more = start + page.length < configs.length;
      return {
        configs: page.map((config) => wirePushConfig(config, task.id, ctx)),
        nextPageToken: more ? page.at(-1)!.id : '',
      };
    },

    /** §3.1.10: idempotent; only an unknown task is an error. */
    async deleteTaskPushNotificationConfig(
      params: DeleteTaskPushNotificationConfigRequest,
      ctx: RequestContext,
    ): Promise<Record<string, never>> {
      pushSupport();
      await deps.commands.handle(
        params.taskId,
        { type: 'DeletePushConfig', id: params.id, at: now().toISOString() },
        commandContext(ctx),
      );
      return {};
    },
  };

  /** From a position the client saw: the task as it stood there, then everything after it. */
  async function replayFrom(
    latest: TaskAggregate,
    position: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<StreamItem>> {
    const base = position >= latest.position ? latest : await deps.taskAt(latest.id, position);
    if (!base)
      throw new A2aError('INVALID_PARAMS', 'Last-Event-ID is not a position of this task', {
        field: 'Last-Event-ID',
      });
    if (isTerminal(base)) return (async function* () {})();
    return updates(base, isTerminal, signal);
  }
}

export type A2aService = ReturnType<typeof createA2aService>;

/** What the task keeps of a config the client gave: no task or tenant, they are the stream's. */
function pushConfigOf(config: TaskPushNotificationConfig, id: string): PushConfig {
  return {
    id,
    url: config.url,
    ...(config.token ? { token: config.token } : {}),
    ...(config.authentication ? { authentication: config.authentication } : {}),
  };
}

function wirePushConfig(
  config: PushConfig,
  taskId: string,
  ctx: RequestContext,
): TaskPushNotificationConfig {
  return { ...(ctx.tenant ? { tenant: ctx.tenant } : {}), ...config, taskId };
}

function notFound(taskId: string): A2aError {
  return new A2aError('TASK_NOT_FOUND', `task ${taskId} not found`, { metadata: { taskId } });
}

/** The promise's result, or 'timeout' if it takes longer than `ms` (it keeps running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
