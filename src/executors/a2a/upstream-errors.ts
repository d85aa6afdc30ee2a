/**
 * Why a call to an upstream agent did not give a result. Each says whether it is the
 * upstream's fault in the circuit breaker's sense (it did not answer, or answered garbage) and
 * whether a safe operation may try again.
 */
export abstract class UpstreamError extends Error {
  /**
   * What it tells the circuit breaker: the upstream failed (no answer, garbage), it answered
   * (a refusal is an answer), or nothing (the call never reached it).
   */
  abstract readonly breakerOutcome: 'failure' | 'success' | 'none';
  /** A safe operation (card, GetTask, CancelTask, SubscribeToTask) may be tried again. */
  abstract readonly retryable: boolean;
}

/** No answer: refused or dropped connection, a timeout, 5xx, 429. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly breakerOutcome = 'failure' as const;
  readonly retryable = true;
  constructor(upstream: string, cause: string) {
    super(`upstream ${upstream} unavailable: ${cause}`);
    this.name = 'UpstreamUnavailableError';
  }
}

/** An answer that is no A2A answer: not JSON, not JSON-RPC, an invalid task. */
export class UpstreamInvalidResponseError extends UpstreamError {
  readonly breakerOutcome = 'failure' as const;
  // The same request would most likely get the same answer.
  readonly retryable = false;
  constructor(upstream: string, what: string) {
    super(`upstream ${upstream} returned an invalid response: ${what}`);
    this.name = 'UpstreamInvalidResponseError';
  }

  /** `what` did not validate: says where, from the first of the schema's issues. */
  static fromIssues(
    upstream: string,
    what: string,
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
  ): UpstreamInvalidResponseError {
    const issue = issues[0]!;
    const path = issue.path.map(String).join('.');
    return new UpstreamInvalidResponseError(
      upstream,
      `${what}: ${path ? `${path}: ` : ''}${issue.message}`,
    );
  }
}

/** A proper JSON-RPC error: the upstream is well and said no. */
export class UpstreamRpcError extends UpstreamError {
  readonly breakerOutcome = 'success' as const;
  readonly retryable = false;
  constructor(
    upstream: string,
    readonly method: string,
    readonly code: number,
    readonly detail: string,
  ) {
    super(`upstream ${upstream} refused ${method}: ${detail} (JSON-RPC error ${code})`);
    this.name = 'UpstreamRpcError';
  }
}

/** An HTTP refusal without a JSON-RPC body (401, 403, 404, …): alive, but not for us. */
export class UpstreamHttpError extends UpstreamError {
  readonly breakerOutcome = 'success' as const;
  readonly retryable = false;
  constructor(
    upstream: string,
    readonly status: number,
    what: string,
  ) {
    super(`upstream ${upstream} answered HTTP ${status}${what ? `: ${what}` : ''}`);
    this.name = 'UpstreamHttpError';
  }
}

/** The breaker is open: the call was not even tried. */
export class CircuitOpenError extends UpstreamError {
  readonly breakerOutcome = 'none' as const;
  readonly retryable = false;
  constructor(upstream: string, why: string) {
    super(`upstream ${upstream} unavailable: ${why}`);
    this.name = 'CircuitOpenError';
  }
}

/** The upstream card could not be used (no interface we speak, not a card). */
export class UpstreamCardError extends UpstreamError {
  readonly breakerOutcome = 'success' as const;
  readonly retryable = false;
  constructor(upstream: string, what: string) {
    super(`upstream ${upstream} has no usable agent card: ${what}`);
    this.name = 'UpstreamCardError';
  }
}

/** An OAuth 2 token could not be had from the token endpoint. */
export class UpstreamTokenError extends UpstreamError {
  readonly breakerOutcome = 'none' as const;
  readonly retryable = true;
  constructor(tokenUrl: string, what: string) {
    super(`could not get an OAuth 2 token from ${tokenUrl}: ${what}`);
    this.name = 'UpstreamTokenError';
  }
}
