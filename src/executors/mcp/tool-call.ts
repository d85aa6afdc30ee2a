import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { Message } from '../../protocol/index.js';
import { describeArguments, exampleArguments, singleStringArgument } from './tool-examples.js';

export type ToolCall = { tool: Tool; arguments: Record<string, unknown> };

/** A call, or what is wrong with the message, said so a person (or a model) can fix it. */
export type ToolCallChoice = ({ ok: true } & ToolCall) | { ok: false; problem: string };

/**
 * The tool a message asks for and its arguments: a data part `{ "tool", "arguments" }`, or,
 * when the agent has one tool taking one string, the message's text as that string.
 */
export function chooseToolCall(message: Message, tools: readonly Tool[]): ToolCallChoice {
  const request = message.parts
    .map((part): unknown => part.data)
    .find((data): data is Record<string, unknown> => isRecord(data) && 'tool' in data);
  if (request) return fromData(request, tools);
  const only = tools.length === 1 ? tools[0]! : undefined;
  const property = only ? singleStringArgument(only) : undefined;
  const text = message.parts.map((part) => part.text ?? '').join('');
  if (only && property && text.trim() !== '') {
    return { ok: true, tool: only, arguments: { [property]: text } };
  }
  return { ok: false, problem: `No tool chosen. ${howToCall(tools)}` };
}

function fromData(request: Record<string, unknown>, tools: readonly Tool[]): ToolCallChoice {
  const name = request.tool;
  if (typeof name !== 'string') {
    return {
      ok: false,
      problem: `"tool" must be a string, the name of a tool (got ${JSON.stringify(name)}). ${toolList(tools)}`,
    };
  }
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) return { ok: false, problem: `Unknown tool "${name}". ${toolList(tools)}` };
  const args = request.arguments ?? {};
  if (!isRecord(args)) {
    return {
      ok: false,
      problem: `"arguments" for tool "${name}" must be an object (got ${kindOf(args)}). Expected: ${describeArguments(tool)}.`,
    };
  }
  return { ok: true, tool, arguments: args };
}

/**
 * Checks arguments against each tool's input JSON Schema before the call, so a caller hears
 * which field is wrong from the gateway, not a server's stack trace. Validators are compiled
 * once per tool (a new tool list brings new tool objects).
 */
export function createArgumentCheck(
  validatorFor: (schema: Tool['inputSchema']) => JsonSchemaValidator<unknown>,
  onUncheckable: (tool: Tool, error: unknown) => void,
): (call: ToolCall) => string | undefined {
  const validators = new WeakMap<Tool, JsonSchemaValidator<unknown> | null>();
  return ({ tool, arguments: args }) => {
    let validator = validators.get(tool);
    if (validator === undefined) {
      try {
        validator = validatorFor(tool.inputSchema);
      } catch (error) {
        // A schema the validator cannot compile: the server still checks its own input.
        onUncheckable(tool, error);
        validator = null;
      }
      validators.set(tool, validator);
    }
    const result = validator?.(args);
    if (!result || result.valid) return undefined;
    return (
      `Invalid arguments for tool "${tool.name}": ${inArgumentTerms(result.errorMessage)}. ` +
      `Expected: ${describeArguments(tool)}.`
    );
  };
}

/** What to send instead, with an example of each tool's call. */
export function howToCall(tools: readonly Tool[]): string {
  const first = tools[0];
  const example = first
    ? ` For example: ${JSON.stringify({ tool: first.name, arguments: exampleArguments(first) })}.`
    : '';
  return `Send a data part {"tool": "<name>", "arguments": {...}}.${example} ${toolList(tools)}`;
}

function toolList(tools: readonly Tool[]): string {
  return tools.length === 0
    ? 'The server offers no tools right now.'
    : `Tools: ${tools.map((tool) => tool.name).join(', ')}.`;
}

// ajv says `data/b must be number`: the caller wrote "arguments".
function inArgumentTerms(errors: string): string {
  return errors.replace(/(^|, )data(?=[/ ]|$)/g, '$1arguments');
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
