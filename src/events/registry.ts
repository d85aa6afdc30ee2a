import type { z } from 'zod';
import { ValidationError } from './errors.js';
import { parseSensitivePath, type SensitivePath } from './sensitive.js';

/** Turns the payload of version `version - 1` into the shape of `version`. Pure, no I/O. */
export type Upcaster = (previous: unknown) => unknown;

export interface EventTypeVersion<T = unknown> {
  type: string;
  version: number;
  schema: z.ZodType<T>;
  /** Required for every version above 1: how the previous version's payload becomes this one. */
  upcast?: Upcaster;
  /**
   * Paths of the payload that hold personal data (`message.parts[*].text`, see sensitive.ts):
   * encrypted at rest when PII encryption is on, shredded with the tenant's key, redacted in
   * the audit for callers without the PII scope. None: the payload holds no personal data.
   */
  sensitive?: readonly SensitivePath[];
}

/**
 * Knows every event type and the schema of each of its versions.
 *
 * Appends are validated against the schema of the version they declare (the latest when they
 * declare none); reads of older versions run the upcaster chain v1→v2→…→latest so consumers
 * only ever see the latest shape.
 *
 * @example
 * const registry = createEventRegistry()
 *   .register({ type: 'task.created', version: 1, schema: TaskCreatedV1 })
 *   .register({ type: 'task.created', version: 2, schema: TaskCreatedV2, upcast: v1ToV2 });
 */
export interface EventRegistry {
  register<T>(definition: EventTypeVersion<T>): EventRegistry;
  /** Latest registered version of `type`, or undefined when the type is unknown. */
  latestVersion(type: string): number | undefined;
  /** Validates `data` against `type`@`version`; returns the parsed payload or throws ValidationError. */
  validate(type: string, version: number, data: unknown): unknown;
  /** Brings a stored payload to the latest version of its type (unknown types pass through). */
  upcast(type: string, version: number, data: unknown): { version: number; data: unknown };
  /** Every registered type, each with its versions in ascending order. */
  definitions(): ReadonlyMap<string, readonly EventTypeVersion[]>;
  /** The personal-data paths of `type`@`version` (the latest when omitted); [] when none. */
  sensitivePaths(type: string, version?: number): readonly SensitivePath[];
}

export function createEventRegistry(): EventRegistry {
  const byType = new Map<string, EventTypeVersion[]>();

  const registry: EventRegistry = {
    register(definition) {
      const versions = byType.get(definition.type) ?? [];
      const expected = versions.length + 1;
      if (definition.version !== expected) {
        throw new Error(
          `${definition.type}: register version ${expected} next, got ${definition.version}`,
        );
      }
      if (definition.version > 1 && !definition.upcast) {
        throw new Error(
          `${definition.type} v${definition.version} needs an upcaster from v${expected - 1}`,
        );
      }
      for (const path of definition.sensitive ?? []) parseSensitivePath(path);
      versions.push(definition as EventTypeVersion);
      byType.set(definition.type, versions);
      return registry;
    },

    latestVersion(type) {
      return byType.get(type)?.length;
    },

    validate(type, version, data) {
      const versions = byType.get(type);
      if (!versions) throw new ValidationError('type', `unknown event type ${type}`);
      const definition = versions[version - 1];
      if (!definition) {
        throw new ValidationError('schemaVersion', `${type} has no schema version ${version}`);
      }
      const result = definition.schema.safeParse(data);
      if (!result.success) throw ValidationError.fromZod(result.error, 'data');
      return result.data;
    },

    upcast(type, version, data) {
      const versions = byType.get(type);
      if (!versions) return { version, data };
      let current = data;
      for (const next of versions.slice(version)) current = next.upcast!(current);
      return { version: Math.max(version, versions.length), data: current };
    },

    definitions() {
      return byType;
    },

    sensitivePaths(type, version) {
      const versions = byType.get(type);
      if (!versions) return [];
      return versions[(version ?? versions.length) - 1]?.sensitive ?? [];
    },
  };
  return registry;
}
