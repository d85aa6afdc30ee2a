/**
 * Errors that cross the wire: one table from stable keys to JSON-RPC codes (§5.4, §9.5).
 * Only the JSON-RPC binding turns errors into codes; everything below throws semantic errors
 * with a `code` key (`TASK_NOT_FOUND`, `TASK_TERMINAL`, …) that this file maps.
 */
export const A2A_ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  TASK_NOT_FOUND: -32001,
  TASK_NOT_CANCELABLE: -32002,
  PUSH_NOTIFICATION_NOT_SUPPORTED: -32003,
  UNSUPPORTED_OPERATION: -32004,
  CONTENT_TYPE_NOT_SUPPORTED: -32005,
  INVALID_AGENT_RESPONSE: -32006,
  EXTENDED_AGENT_CARD_NOT_CONFIGURED: -32007,
  EXTENSION_SUPPORT_REQUIRED: -32008,
  VERSION_NOT_SUPPORTED: -32009,
  // The gateway's own, outside both reserved ranges (JSON-RPC's -32000…-32099 and A2A's
  // -32001…-32099): the HTTP answer says 401 or 403 as well (§3.3.2 "JSON-RPC custom error").
  UNAUTHENTICATED: -31401,
  PERMISSION_DENIED: -31403,
  RATE_LIMITED: -31429,
  /** The agent's MCP server or upstream agent has not been reached yet: no card to give. */
  AGENT_UNAVAILABLE: -31503,
  /** The gateway holds as many SSE streams as it may (MAX_SSE_STREAMS): HTTP 503, retry later. */
  SERVER_BUSY: -31504,
} as const;
export type A2aErrorKey = keyof typeof A2A_ERROR_CODES;

/** Domain error keys and the wire error each becomes. */
const DOMAIN_KEYS: Record<string, A2aErrorKey> = {
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  TASK_NOT_CANCELABLE: 'TASK_NOT_CANCELABLE',
  // §3.1.1: a message to a task in a terminal state is an UnsupportedOperationError.
  TASK_TERMINAL: 'UNSUPPORTED_OPERATION',
  TASK_CONFLICT: 'UNSUPPORTED_OPERATION',
  INVALID_PARAMS: 'INVALID_PARAMS',
  VALIDATION_FAILED: 'INVALID_PARAMS',
};

const A2A_DOMAIN = 'a2a-protocol.org';
const GATEWAY_DOMAIN = 'a2a-gateway';
const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown[];
}

/** An error meant for the client: its key, a message, and optionally the field at fault. */
export class A2aError extends Error {
  constructor(
    readonly key: A2aErrorKey,
    message: string,
    readonly details: { field?: string; metadata?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'A2aError';
  }
}

/**
 * The JSON-RPC error object for anything thrown while serving a request. Unknown errors
 * become -32603 with a generic message: causes are logged, never echoed.
 */
export function toJsonRpcError(error: unknown): { error: JsonRpcError; internal: boolean } {
  const known = asA2aError(error);
  if (!known) {
    return {
      error: { code: A2A_ERROR_CODES.INTERNAL_ERROR, message: 'Internal error' },
      internal: true,
    };
  }
  const { key, message, details } = known;
  const data: unknown[] = [];
  // A2A-specific errors (-32001…-32099) name their type in an ErrorInfo (§9.5, §5.4), and so
  // do the gateway's own.
  const code = A2A_ERROR_CODES[key];
  if (code > -32100) {
    data.push({
      '@type': ERROR_INFO,
      reason: key,
      domain: code >= -32099 && code <= -32001 ? A2A_DOMAIN : GATEWAY_DOMAIN,
      ...(details.metadata ? { metadata: details.metadata } : {}),
    });
  }
  if (details.field !== undefined) {
    data.push({
      '@type': BAD_REQUEST,
      fieldViolations: [{ field: details.field, description: message }],
    });
  }
  return {
    error: { code: A2A_ERROR_CODES[key], message, ...(data.length > 0 ? { data } : {}) },
    internal: false,
  };
}

function asA2aError(error: unknown): A2aError | undefined {
  if (error instanceof A2aError) return error;
  if (!(error instanceof Error) || !('code' in error) || typeof error.code !== 'string')
    return undefined;
  const key = DOMAIN_KEYS[error.code];
  if (!key) return undefined;
  const field = 'field' in error && typeof error.field === 'string' ? error.field : undefined;
  const taskId = 'taskId' in error && typeof error.taskId === 'string' ? error.taskId : undefined;
  return new A2aError(key, error.message, {
    ...(field !== undefined ? { field } : {}),
    ...(taskId ? { metadata: { taskId } } : {}),
  });
}
