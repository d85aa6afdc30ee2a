import { createHash, randomUUID } from 'node:crypto';
import type { Message, SendMessageRequest, StreamResponse, Task } from '../../protocol/index.js';
import {
  type AgentExecutor,
  type Emission,
  type Emit,
  type ExecutionContext,
  RunAborted,
  type UpstreamLink,
} from '../agent-executor.js';
import type { ExecutorLog } from '../hosted-executor.js';
import { type RetryPolicy, sleep } from './backoff.js';
import { checkTrace, TRACE_KEY } from './delegation-trace.js';
import { isFinal, UpstreamTaskMirror } from './task-mirror.js';
import type { UpstreamCard } from './upstream-card.js';
import type { UpstreamCalls } from './upstream-client.js';
import {
  UpstreamError,
  UpstreamHttpError,
  UpstreamInvalidResponseError,
  UpstreamRpcError,
} from './upstream-errors.js';
import type { UpstreamEventStream } from './upstream-sse.js';

export interface ForwardingDeps {
  /** The upstream's card URL: names it in links and messages. */
  upstream: string;
  /** This gateway and agent in delegation traces: `<gateway id>/<agent>`. */
  hop: string;
  maxDelegationDepth: number;
  /** The upstream card and calls at its endpoint; fetches the card when none is known yet. */
  connect(): Promise<{ card: UpstreamCard; calls: UpstreamCalls }>;
  streaming: 'auto' | 'never';
  poll: { initialDelayMs: number; maxDelayMs: number };
  retry: RetryPolicy;
  /** How long to wait, after a cancel, for the answer that names the upstream task. */
  requestTimeoutMs: number;
  /** Work that outlives its run (a cancel sent upstream): the executor's close waits for it. */
  track(work: Promise<unknown>): void;
  log: ExecutorLog;
}

/** The executor of an upstream agent: each run forwards one message and mirrors the task. */
export function createForwardingExecutor(deps: ForwardingDeps): AgentExecutor {
  return {
    async execute(context, emit) {
      const trace = checkTrace(context.message, deps.hop, deps.maxDelegationDepth);
      if (!trace.ok) {
        deps.log.warn('delegation refused', { upstream: deps.upstream, reason: trace.message });
        return emit({ kind: 'status', state: 'TASK_STATE_REJECTED', message: note(trace.message) });
      }
      const run = new ForwardedRun(deps, context, emit, trace.trace);
      return run.execute();
    },
  };
}

/** One run: send (or continue, or follow) the upstream task, and mirror it until it settles. */
class ForwardedRun {
  /** Aborts the run's upstream requests: at once, or after a cancel once the task is known. */
  private readonly requests = new AbortController();
  private remoteTaskId: string | undefined;
  private remoteContextId: string | undefined;
  /** The upstream task is recorded (`delegated`) already. */
  private linked = false;
  /** The upstream refused SendStreamingMessage though its card offers it: this run polls. */
  private streamingRefused = false;
  private canceledByUs = false;
  /** Pending while a send is out whose answer has not named the upstream task yet. */
  private sending: Promise<void> | undefined;
  private sent: (() => void) | undefined;
  private connection: Promise<{ card: UpstreamCard; calls: UpstreamCalls }> | undefined;
  private card!: UpstreamCard;
  private calls!: UpstreamCalls;
  private mirror!: UpstreamTaskMirror;

  constructor(
    private readonly deps: ForwardingDeps,
    private readonly context: ExecutionContext,
    private readonly emit: Emit,
    private readonly trace: string[],
  ) {}

  async execute(): Promise<void> {
    const { signal } = this.context;
    const onAbort = () => this.aborted(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      signal.throwIfAborted();
      const link = this.context.delegations.findLast((d) => d.cardUrl === this.deps.upstream);
      if (link) this.adopt(link);
      this.connection = this.deps.connect();
      ({ card: this.card, calls: this.calls } = await this.wait(this.connection));
      if (this.context.resumed && link) {
        // The upstream may have the message already: follow its task, never send again.
        this.mirror = this.newMirror();
        return await this.follow(link.remoteTaskId, undefined, true);
      }
      if (link) return await this.continueFrom(link);
      return await this.send({});
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!(error instanceof UpstreamError)) throw error;
      this.deps.log.warn('upstream run failed', {
        upstream: this.deps.upstream,
        taskId: this.context.task.id,
        error: error.message,
      });
      await this.emit({ kind: 'status', state: 'TASK_STATE_FAILED', message: note(error.message) });
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!signal.aborted) {
        this.settleSending();
        this.requests.abort();
      }
    }
  }

  /**
   * A follow-up message on a task an earlier run delegated: the upstream task takes it when
   * it asked for input; once ended (or forgotten), a new upstream task in the same context.
   */
  private async continueFrom(link: UpstreamLink): Promise<void> {
    let remote: Task | undefined;
    try {
      remote = await this.wait(this.calls.getTask(link.remoteTaskId, this.requests.signal));
    } catch (error) {
      // Not found (the upstream forgot it) or refused: start over.
      if (!(error instanceof UpstreamRpcError)) throw error;
    }
    if (remote && !isFinal(remote.status.state)) {
      const contextId = link.remoteContextId ?? remote.contextId;
      return this.send(
        { taskId: link.remoteTaskId, ...(contextId ? { contextId } : {}) },
        remote.status,
      );
    }
    this.remoteTaskId = undefined;
    this.remoteContextId = undefined;
    this.linked = false;
    return this.send(link.remoteContextId ? { contextId: link.remoteContextId } : {});
  }

  private async send(
    ids: { taskId?: string; contextId?: string },
    status?: Task['status'],
  ): Promise<void> {
    this.mirror = this.newMirror(status);
    const request: SendMessageRequest = { message: this.upstreamMessage(ids) };
    if (ids.taskId === undefined) {
      this.sending = new Promise((resolve) => {
        this.sent = resolve;
      });
    }
    const failed = (error: unknown): never => {
      this.settleSending();
      throw error;
    };
    if (this.streams()) {
      let refusal: Error | undefined;
      const opening = this.calls
        .sendStreamingMessage(request, this.requests.signal, (event) => this.learnFrom(event))
        .catch((error: unknown) => {
          // Refused, the send did nothing upstream: sending it again without a stream is safe.
          if (!refusesStreaming(error)) return failed(error);
          refusal = error as Error;
          return undefined;
        });
      const stream = await this.wait(opening);
      if (stream) return this.follow(undefined, stream, false);
      this.streamingRefused = true;
      this.deps.log.warn('upstream refused to stream although its card says it can: polling', {
        upstream: this.deps.upstream,
        error: refusal?.message,
      });
    }
    const sending = this.calls
      .sendMessage({ ...request, configuration: { returnImmediately: true } }, this.requests.signal)
      .then((response) => {
        if (response.task) this.learnFrom({ task: response.task });
        this.settleSending();
        return response;
      }, failed);
    const response = await this.wait(sending);
    if (response.message) {
      await this.emit({ kind: 'message', message: response.message });
      return;
    }
    const task = response.task!;
    const step = this.mirror.onTask(task);
    await this.emitAll([...this.linkEmission(), ...step.emissions]);
    if (step.outcome !== 'continue') return;
    return this.poll(task.id, false);
  }

  /**
   * Mirrors the upstream task from `stream` until it settles. A stream that ends or drops
   * before is resubscribed (a safe call, retried) while that works, else polled.
   */
  private async follow(
    taskId: string | undefined,
    first: UpstreamEventStream | undefined,
    resumed: boolean,
  ): Promise<void> {
    let stream = first;
    let drops = 0;
    const streams = this.streams();
    for (;;) {
      if (stream) {
        const result = await this.consume(stream);
        if (result.settled) return;
        const id = taskId ?? this.remoteTaskId;
        if (!id)
          throw (
            result.error ??
            new UpstreamInvalidResponseError(
              this.deps.upstream,
              'its stream ended before it named a task',
            )
          );
        taskId = id;
        drops = result.progressed ? 1 : drops + 1;
        this.deps.log.info('upstream stream ended early', {
          upstream: this.deps.upstream,
          remoteTaskId: id,
          error: result.error?.message,
        });
        if (drops > this.deps.retry.attempts) break;
      }
      if (!streams || !taskId) break;
      try {
        stream = await this.wait(
          this.calls.subscribeToTask(taskId, this.requests.signal, (event) =>
            this.learnFrom(event),
          ),
        );
      } catch (error) {
        // It answered, but will not stream this task (ended, or no resubscription): poll.
        if (error instanceof UpstreamRpcError || error instanceof UpstreamHttpError) break;
        throw error;
      }
    }
    if (!taskId)
      throw new UpstreamInvalidResponseError(this.deps.upstream, 'it named no task to follow');
    return this.poll(taskId, resumed || drops > 0);
  }

  /** Reads events into emissions; what is already there is emitted together (one write). */
  private async consume(
    stream: UpstreamEventStream,
  ): Promise<{ settled: boolean; progressed: boolean; error?: UpstreamError }> {
    let pending: Emission[] = [];
    let progressed = false;
    const flush = async () => {
      const emissions = pending;
      pending = [];
      await this.emitAll(emissions);
    };
    try {
      for (;;) {
        const item = await this.wait(stream.next());
        if (item.kind === 'error') {
          await flush();
          throw item.error;
        }
        if (item.kind !== 'event') {
          await flush();
          return {
            settled: false,
            progressed,
            ...(item.kind === 'dropped' ? { error: item.error } : {}),
          };
        }
        progressed = true;
        const step = this.mirror.onEvent(item.event);
        pending.push(...this.linkEmission(), ...step.emissions);
        if (step.outcome !== 'continue') {
          await flush();
          return { settled: true, progressed };
        }
        if (stream.buffered === 0 || pending.length >= 64) await flush();
      }
    } finally {
      // Cancelled before the upstream named its task: the stream goes on until it does.
      if (!(this.context.signal.aborted && this.sending)) stream.close();
    }
  }

  /** GetTask with exponential backoff, emitting what changed, until the task settles. */
  private async poll(taskId: string, immediately: boolean): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.deps.poll;
    let delay = initialDelayMs;
    if (!immediately) await this.wait(sleep(delay, this.requests.signal));
    for (;;) {
      const task = await this.wait(this.calls.getTask(taskId, this.requests.signal));
      if (!this.remoteTaskId) this.learnFrom({ task });
      const step = this.mirror.onTask(task);
      await this.emitAll([...this.linkEmission(), ...step.emissions]);
      if (step.outcome !== 'continue') return;
      delay = step.emissions.length > 0 ? initialDelayMs : Math.min(maxDelayMs, delay * 2);
      await this.wait(sleep(delay, this.requests.signal));
    }
  }

  private streams(): boolean {
    return this.deps.streaming === 'auto' && this.card.streaming && !this.streamingRefused;
  }

  private newMirror(status?: Task['status']): UpstreamTaskMirror {
    return new UpstreamTaskMirror(this.deps.upstream, {
      known: this.context.task.artifacts ?? [],
      ...(status ? { status } : {}),
      canceledByUs: () => this.canceledByUs,
    });
  }

  /** Our message as the upstream gets it: same content, its own id, the trace with our hop. */
  private upstreamMessage(ids: { taskId?: string; contextId?: string }): Message {
    const { message, task } = this.context;
    return {
      // Derived, so a send repeated for the same message carries the same id.
      messageId: `gw-${createHash('sha256').update(`${task.id}\n${message.messageId}`).digest('hex').slice(0, 32)}`,
      role: 'ROLE_USER',
      parts: message.parts,
      ...ids,
      metadata: { ...message.metadata, [TRACE_KEY]: this.trace },
      ...(message.extensions ? { extensions: message.extensions } : {}),
    };
  }

  /** The upstream task's ids, from the first event that names them. */
  private learnFrom(event: StreamResponse): void {
    if (this.remoteTaskId) return;
    const named = event.task
      ? { taskId: event.task.id, contextId: event.task.contextId }
      : (event.statusUpdate ?? event.artifactUpdate ?? undefined);
    if (!named?.taskId) return;
    this.remoteTaskId = named.taskId;
    this.remoteContextId = named.contextId;
    this.settleSending();
  }

  /** The upstream task an earlier run delegated to: cancels and follows go there. */
  private adopt(link: UpstreamLink): void {
    this.remoteTaskId = link.remoteTaskId;
    this.remoteContextId = link.remoteContextId;
    this.linked = true;
  }

  private settleSending(): void {
    this.sent?.();
    this.sent = undefined;
    this.sending = undefined;
  }

  /** `delegated`, once per upstream task, as soon as its id is known. */
  private linkEmission(): Emission[] {
    if (this.linked || !this.remoteTaskId) return [];
    this.linked = true;
    const { card } = this;
    if (this.context.delegations.some((d) => d.remoteTaskId === this.remoteTaskId)) return [];
    return [
      {
        kind: 'delegated',
        link: {
          cardUrl: this.deps.upstream,
          cardVersion: card.card.version,
          cardDigest: card.digest,
          protocolVersion: card.endpoint.protocol,
          remoteTaskId: this.remoteTaskId,
          ...(this.remoteContextId ? { remoteContextId: this.remoteContextId } : {}),
        },
      },
    ];
  }

  private async emitAll(emissions: Emission[]): Promise<void> {
    if (emissions.length > 0) await this.emit(...emissions);
  }

  /**
   * The run's signal aborted. A cancel (or our timeout) is passed on upstream: at once when
   * the upstream task is known, else when the answer naming it arrives (bounded). A shutdown
   * or a takeover leaves the upstream task running: the run that resumes it follows it.
   */
  private aborted(reason: unknown): void {
    const why = reason instanceof RunAborted ? reason.why : 'canceled';
    if (why !== 'canceled' && why !== 'timeout') {
      this.requests.abort(reason);
      return;
    }
    this.canceledByUs = true;
    let giveUp: NodeJS.Timeout | undefined;
    const named = this.sending
      ? Promise.race([
          this.sending,
          new Promise<void>((resolve) => {
            giveUp = setTimeout(resolve, this.deps.requestTimeoutMs);
          }),
        ])
      : Promise.resolve();
    const cancel = named.then(async () => {
      clearTimeout(giveUp);
      this.requests.abort(reason);
      const taskId = this.remoteTaskId;
      if (!taskId) return;
      try {
        // Aborted while connecting: a follow-up's upstream task is known all the same.
        const { calls } = await (this.connection ?? this.deps.connect());
        // Its own signal: the run's requests are aborted, the cancel must still go out.
        await calls.cancelTask(taskId);
        this.deps.log.info('canceled the upstream task', {
          upstream: this.deps.upstream,
          remoteTaskId: taskId,
          why,
        });
      } catch (error) {
        this.deps.log.warn('could not cancel the upstream task', {
          upstream: this.deps.upstream,
          remoteTaskId: taskId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    });
    this.deps.track(cancel);
  }

  /** `promise`, or the run's abort reason as soon as the run is aborted (it goes on unheard). */
  private wait<T>(promise: Promise<T>): Promise<T> {
    const { signal } = this.context;
    if (signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}

/** A message from the gateway itself, shown in the task's status. */
function note(text: string): Message {
  return { messageId: `gateway-${randomUUID()}`, role: 'ROLE_AGENT', parts: [{ text }] };
}

/** JSON-RPC method not found (-32601) or unsupported operation (-32004): no streaming here. */
function refusesStreaming(error: unknown): boolean {
  return error instanceof UpstreamRpcError && (error.code === -32601 || error.code === -32004);
}
