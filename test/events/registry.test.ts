import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEventRegistry, ValidationError } from '../../src/events/index.js';

const v1 = z.object({ name: z.string() });
const v2 = z.object({ first: z.string(), last: z.string() });
const v3 = z.object({ first: z.string(), last: z.string(), display: z.string() });

function registry() {
  return createEventRegistry()
    .register({ type: 'person.named', version: 1, schema: v1 })
    .register({
      type: 'person.named',
      version: 2,
      schema: v2,
      upcast: (previous) => {
        const [first = '', ...rest] = (previous as z.infer<typeof v1>).name.split(' ');
        return { first, last: rest.join(' ') };
      },
    })
    .register({
      type: 'person.named',
      version: 3,
      schema: v3,
      upcast: (previous) => {
        const { first, last } = previous as z.infer<typeof v2>;
        return { first, last, display: `${last}, ${first}` };
      },
    });
}

describe('event registry', () => {
  it('knows the latest version of each type', () => {
    expect(registry().latestVersion('person.named')).toBe(3);
    expect(registry().latestVersion('person.unknown')).toBeUndefined();
  });

  it('runs the whole upcaster chain v1 → v2 → v3', () => {
    expect(registry().upcast('person.named', 1, { name: 'Grace Brewster Hopper' })).toEqual({
      version: 3,
      data: { first: 'Grace', last: 'Brewster Hopper', display: 'Brewster Hopper, Grace' },
    });
  });

  it('starts the chain at the stored version and leaves the latest untouched', () => {
    expect(registry().upcast('person.named', 2, { first: 'Alan', last: 'Turing' }).data).toEqual({
      first: 'Alan',
      last: 'Turing',
      display: 'Turing, Alan',
    });
    const latest = { first: 'A', last: 'B', display: 'B, A' };
    expect(registry().upcast('person.named', 3, latest)).toEqual({ version: 3, data: latest });
  });

  it('passes unknown types through unchanged', () => {
    expect(registry().upcast('other.thing', 1, { x: 1 })).toEqual({ version: 1, data: { x: 1 } });
  });

  it('validates against the declared version and names the failing field', () => {
    expect(registry().validate('person.named', 1, { name: 'Ada' })).toEqual({ name: 'Ada' });
    const error = (() => {
      try {
        registry().validate('person.named', 2, { first: 'Ada', last: 7 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'data.last', code: 'VALIDATION_FAILED' });
  });

  it('refuses unknown types and versions', () => {
    expect(() => registry().validate('person.unknown', 1, {})).toThrow(/unknown event type/);
    expect(() => registry().validate('person.named', 4, {})).toThrow(/no schema version 4/);
  });

  it('requires versions in order and an upcaster for each version after the first', () => {
    expect(() =>
      createEventRegistry().register({ type: 'x.y', version: 2, schema: v2, upcast: (p) => p }),
    ).toThrow(/register version 1 next/);
    expect(() =>
      createEventRegistry()
        .register({ type: 'x.y', version: 1, schema: v1 })
        .register({ type: 'x.y', version: 2, schema: v2 }),
    ).toThrow(/needs an upcaster/);
  });
});
