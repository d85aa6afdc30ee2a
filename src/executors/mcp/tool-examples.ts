import type { Tool } from '@modelcontextprotocol/sdk/types.js';

type Schema = Record<string, unknown>;

/** Deep enough for any sensible example; a recursive schema must still end. */
const MAX_DEPTH = 4;

/**
 * Arguments that show a caller the shape a tool wants: its required properties, each with the
 * schema's own const, enum, default or example when it gives one, else a placeholder of the
 * right type.
 */
export function exampleArguments(tool: Tool): Record<string, unknown> {
  return sampleObject(tool.inputSchema as Schema, 0);
}

/**
 * The property a tool's only argument goes in, when the tool takes exactly one and it is a
 * string: then a plain text message can stand for `{ "<name>": "<text>" }`.
 */
export function singleStringArgument(tool: Tool): string | undefined {
  const properties = Object.entries(tool.inputSchema.properties ?? {});
  if (properties.length !== 1) return undefined;
  const [name, schema] = properties[0]!;
  return isObject(schema) && typesOf(schema).includes('string') ? name : undefined;
}

/** A short account of what a tool expects: `a (number, required), b (number)`. */
export function describeArguments(tool: Tool): string {
  const required = new Set(tool.inputSchema.required ?? []);
  const entries = Object.entries(tool.inputSchema.properties ?? {});
  if (entries.length === 0) return 'no arguments';
  return entries
    .map(([name, schema]) => {
      const facts = [isObject(schema) ? typeLabel(schema) : 'any'];
      if (required.has(name)) facts.push('required');
      return `${name} (${facts.join(', ')})`;
    })
    .join(', ');
}

function sampleObject(schema: Schema, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  const sample: Record<string, unknown> = {};
  for (const name of required) {
    if (typeof name !== 'string') continue;
    const property = properties[name];
    sample[name] = sampleValue(isObject(property) ? property : {}, name, depth + 1);
  }
  return sample;
}

function sampleValue(schema: Schema, name: string, depth: number): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const variant = [schema.anyOf, schema.oneOf].find(Array.isArray)?.find(isObject);
  if (variant && depth < MAX_DEPTH) return sampleValue(variant, name, depth + 1);
  switch (typesOf(schema).find((type) => type !== 'null')) {
    case 'string':
      return sampleString(schema, name);
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return depth < MAX_DEPTH ? sampleObject(schema, depth) : {};
    case 'null':
      return null;
    default:
      return depth < MAX_DEPTH && isObject(schema.properties) ? sampleObject(schema, depth) : null;
  }
}

function sampleString(schema: Schema, name: string): string {
  switch (schema.format) {
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'email':
      return 'someone@example.com';
    case 'date-time':
      return '2025-01-01T00:00:00Z';
    case 'date':
      return '2025-01-01';
    default:
      return `<${name}>`;
  }
}

function typeLabel(schema: Schema): string {
  if (Array.isArray(schema.enum))
    return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const types = typesOf(schema);
  return types.length > 0 ? types.join(' or ') : 'any';
}

function typesOf(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t) => typeof t === 'string');
  return [];
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
