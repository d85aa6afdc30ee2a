import type { Channel } from 'amqplib';

/**
 * One channel for a job, opened on first use and opened anew after the broker closed it: a
 * failed passive declare (404) or a refused declaration (406) closes an AMQP channel.
 */
export class ChannelSlot<C extends Channel> {
  private current?: Promise<C>;

  constructor(private readonly open: () => Promise<C>) {}

  get(): Promise<C> {
    if (this.current) return this.current;
    const opening = this.open().then((channel) => {
      // A closing channel's error reaches the caller as a rejected operation; unheard, the
      // 'error' event would end the process.
      channel.on('error', () => {});
      channel.once('close', () => {
        if (this.current === opening) this.current = undefined;
      });
      return channel;
    });
    opening.catch(() => {
      if (this.current === opening) this.current = undefined;
    });
    this.current = opening;
    return opening;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    const channel = await current.catch(() => undefined);
    await channel?.close().catch(() => {});
  }
}
