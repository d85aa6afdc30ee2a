import { type Msg, type NatsConnection, nanos } from '@nats-io/transport-node';

/**
 * The few JetStream wire details the adapter speaks itself rather than through the client's
 * consumer helpers: pull requests it sizes exactly, and acknowledgements it can await.
 */

export interface DeliveryInfo {
  /** How often the consumer has delivered this message, this delivery included. */
  deliveryCount: number;
  streamSequence: number;
}

/**
 * Reads a delivery's ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…`
 * (nine tokens), or the newer form with domain and account hash after `$JS.ACK` (twelve).
 */
export function parseAckSubject(reply: string): DeliveryInfo | undefined {
  const tokens = reply.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const offset = tokens.length === 9 ? 4 : tokens.length >= 11 ? 6 : -1;
  if (offset < 0) return undefined;
  const deliveryCount = Number(tokens[offset]);
  const streamSequence = Number(tokens[offset + 1]);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSequence)) {
    return undefined;
  }
  return { deliveryCount, streamSequence };
}

/** A status from the server (408 request expired, 409 …), not a message of the stream. */
export function statusCode(msg: Msg): number | undefined {
  if (msg.reply) return undefined;
  const code = msg.headers?.code ?? 0;
  return code > 0 ? code : undefined;
}

export function pullSubject(stream: string, consumer: string): string {
  return `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
}

export function pullRequest(batch: number, expiresMs: number): string {
  return JSON.stringify({ batch, expires: nanos(expiresMs) });
}

/**
 * Acknowledgements sent as requests, so they resolve once the server has them. Once the
 * connection is closing they resolve without effect: the server delivers the message again
 * after its ack wait, which is what an unacknowledged delivery promises anyway.
 */
export class Acknowledger {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {}

  ack(reply: string): Promise<void> {
    return this.send(reply, '+ACK');
  }

  /** Delivered again after `delayMs`; the server counts it as one more delivery. */
  nak(reply: string, delayMs: number): Promise<void> {
    const delay = Math.max(0, Math.round(delayMs));
    return this.send(reply, delay > 0 ? `-NAK ${JSON.stringify({ delay: nanos(delay) })}` : '-NAK');
  }

  /** Never delivered again: for what no handler could read. */
  term(reply: string): Promise<void> {
    return this.send(reply, '+TERM');
  }

  private async send(reply: string, body: string): Promise<void> {
    if (this.gone()) return;
    try {
      await this.nc.request(reply, body, { timeout: this.timeoutMs });
    } catch (error) {
      if (!this.gone()) throw error;
    }
  }

  private gone(): boolean {
    return this.nc.isClosed() || this.nc.isDraining();
  }
}
