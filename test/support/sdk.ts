import { type Message, Role, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  createAuthenticatingFetchWithRetry,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';

let sequence = 0;

/** A user text message in the @a2a-js/sdk's shape (ts-proto: every field present). */
export function sdkMessage(text: string, extra: Partial<Message> = {}): Message {
  sequence += 1;
  return {
    messageId: `sdk-${Date.now().toString(36)}-${sequence}`,
    role: Role.ROLE_USER,
    parts: [
      { content: { $case: 'text', value: text }, filename: '', mediaType: '', metadata: undefined },
    ],
    contextId: '',
    taskId: '',
    extensions: [],
    referenceTaskIds: [],
    metadata: undefined,
    ...extra,
  };
}

/** SendMessage params for the SDK client. */
export function sdkSend(
  sent: Message,
  configuration?: { returnImmediately: boolean },
): SendMessageRequest {
  return {
    message: sent,
    tenant: '',
    metadata: undefined,
    configuration: configuration
      ? {
          ...configuration,
          acceptedOutputModes: [],
          historyLength: undefined,
          taskPushNotificationConfig: undefined,
        }
      : undefined,
  };
}

export function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  return result;
}

/** The official client of the agent whose card is found from `url`, over JSON-RPC. */
export function jsonRpcSdkClient(url: string): Promise<Client> {
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory()],
      preferredTransports: ['JSONRPC'],
    }),
  ).createFromUrl(url);
}

/** The official client for the gateway at `url`, sending `Authorization: Bearer <token>`. */
export async function bearerSdkClient(
  url: string,
  token: string,
  options: { preferJsonRpc?: boolean } = {},
): Promise<Client> {
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, {
    headers: async () => ({ authorization: `Bearer ${token}` }),
    shouldRetryWithHeaders: async () => undefined,
  });
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      ...(options.preferJsonRpc ? { preferredTransports: ['JSONRPC'] } : {}),
    }),
  ).createFromUrl(url);
}
