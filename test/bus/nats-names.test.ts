import { describe, expect, it } from 'vitest';
import { parseAckSubject } from '../../src/bus/nats/jetstream-wire.js';
import {
  checkPrefix,
  groupConsumer,
  keyMessageId,
  moveMessageId,
  topicNames,
} from '../../src/bus/nats/names.js';

const NAME = /^[A-Za-z0-9_-]+$/;

describe('NATS bus names', () => {
  it('gives every topic a stream of its own, with names NATS accepts', () => {
    const topics = [
      'push.deliver',
      'push-deliver',
      'push_deliver',
      'push deliver/ü*>',
      'Push.Deliver',
    ];
    const streams = topics.map((topic) => topicNames('bus', topic));
    expect(new Set(streams.map((names) => names.stream)).size).toBe(topics.length);
    for (const names of streams) {
      expect(names.stream).toMatch(NAME);
      expect(names.stream.startsWith('bus_')).toBe(true);
      expect(names.ready).toBe(`${names.stream}.ready`);
      expect(names.delayed).toBe(`${names.stream}.delayed`);
    }
    expect(topicNames('a', 'x').stream).not.toBe(topicNames('b', 'x').stream);
  });

  it('keeps long topics and groups within bounds and apart', () => {
    const long = 'segment.'.repeat(40);
    const one = topicNames('bus', `${long}one`).stream;
    const two = topicNames('bus', `${long}two`).stream;
    expect(one).not.toBe(two);
    expect(one.length).toBeLessThanOrEqual(100);
    expect(groupConsumer('team a/ü.*')).toMatch(NAME);
    expect(groupConsumer('team.a')).not.toBe(groupConsumer('team-a'));
  });

  it('accepts only prefixes that cannot run into each other', () => {
    expect(() => checkPrefix('gateway-prod')).not.toThrow();
    for (const bad of ['', 'a_b', 'a.b', 'a b', 'x'.repeat(33)]) {
      expect(() => checkPrefix(bad)).toThrow(/prefix/);
    }
  });

  it('keeps idempotency keys apart from the mover and out of header syntax', () => {
    expect(keyMessageId('due:1')).not.toBe(moveMessageId(1));
    expect(keyMessageId('push:cfg-1:42')).toBe('k:push:cfg-1:42');
    const odd = keyMessageId('line\r\nbreak');
    expect(odd).toMatch(/^k#[0-9a-f]{64}$/);
    expect(odd).not.toBe(keyMessageId('line\r\nbreaks'));
  });

  it('reads the delivery count and stream sequence from both ack subject forms', () => {
    expect(parseAckSubject('$JS.ACK.s.c.3.41.17.1700000000000000000.0')).toEqual({
      deliveryCount: 3,
      streamSequence: 41,
    });
    expect(parseAckSubject('$JS.ACK.hub.ACCHASH.s.c.2.9.5.1700000000000000000.4.tok')).toEqual({
      deliveryCount: 2,
      streamSequence: 9,
    });
    expect(parseAckSubject('_INBOX.abc.1')).toBeUndefined();
    expect(parseAckSubject('$JS.ACK.s.c.x.41.17.1.0')).toBeUndefined();
  });
});
