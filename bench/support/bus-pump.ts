import { type OnPayload, type Payload, PREFETCH, Signal } from './bus-subject.js';

/**
 * The consumer loop of the references whose read also settles (a DELETE … RETURNING, a shift
 * off an array): read up to PREFETCH, hand each over as an async call, read again; when a read
 * comes back short, wait for a wake (the publisher's, as the bus wakes its own receivers) or
 * the safety poll.
 */
export class Pump {
  private readonly signal = new Signal();
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly read: (limit: number) => Promise<Payload[]>,
    private readonly pollMs: number,
  ) {}

  start(onPayload: OnPayload, onError: (error: unknown) => void): void {
    this.loop = (async () => {
      while (!this.stopped) {
        let items: Payload[];
        try {
          items = await this.read(PREFETCH);
        } catch (error) {
          if (!this.stopped) onError(error);
          return;
        }
        await Promise.all(items.map(async (item) => onPayload(item)));
        if (items.length < PREFETCH) await this.signal.wait(this.pollMs);
      }
    })();
  }

  wake(): void {
    this.signal.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal.wake();
    await this.loop;
  }
}
