import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { describe, expect, it } from 'vitest';
import { chooseToolCall, createArgumentCheck } from '../../../src/executors/mcp/tool-call.js';
import { aMessage } from '../../support/task-spec.js';

const echo: Tool = {
  name: 'echo',
  inputSchema: {
    type: 'object',
    properties: { message: { type: 'string' } },
    required: ['message'],
  },
};
const sum: Tool = {
  name: 'get-sum',
  inputSchema: {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
  },
};

function problemOf(choice: ReturnType<typeof chooseToolCall>): string {
  if (choice.ok) throw new Error(`expected a problem, got a call of ${choice.tool.name}`);
  return choice.problem;
}

describe('choosing the tool call from a message', () => {
  it('takes the data part that names a tool, wherever it is among the parts', () => {
    const message = aMessage({
      parts: [
        { text: 'please add' },
        { data: { unrelated: true } },
        { data: { tool: 'get-sum', arguments: { a: 1, b: 2 } } },
      ],
    });
    expect(chooseToolCall(message, [echo, sum])).toEqual({
      ok: true,
      tool: sum,
      arguments: { a: 1, b: 2 },
    });
  });

  it('calls a tool without arguments with an empty object', () => {
    const message = aMessage({ parts: [{ data: { tool: 'echo' } }] });
    expect(chooseToolCall(message, [echo])).toMatchObject({ ok: true, arguments: {} });
  });

  it('takes text for the one tool with one string argument, and only then', () => {
    const text = aMessage({ parts: [{ text: 'hello ' }, { text: 'there' }] });
    expect(chooseToolCall(text, [echo])).toEqual({
      ok: true,
      tool: echo,
      arguments: { message: 'hello there' },
    });
    expect(problemOf(chooseToolCall(text, [echo, sum]))).toBe(
      'No tool chosen. Send a data part {"tool": "<name>", "arguments": {...}}. For example: ' +
        '{"tool":"echo","arguments":{"message":"<message>"}}. Tools: echo, get-sum.',
    );
    expect(problemOf(chooseToolCall(text, [sum]))).toContain('No tool chosen.');
  });

  it('names the unknown tool and lists the known ones', () => {
    const message = aMessage({ parts: [{ data: { tool: 'nope', arguments: {} } }] });
    expect(problemOf(chooseToolCall(message, [echo, sum]))).toBe(
      'Unknown tool "nope". Tools: echo, get-sum.',
    );
  });

  it('says what is wrong with a tool that is no string, or arguments that are no object', () => {
    const numbered = aMessage({ parts: [{ data: { tool: 7 } }] });
    expect(problemOf(chooseToolCall(numbered, [echo]))).toBe(
      '"tool" must be a string, the name of a tool (got 7). Tools: echo.',
    );
    const listed = aMessage({ parts: [{ data: { tool: 'get-sum', arguments: [1, 2] } }] });
    expect(problemOf(chooseToolCall(listed, [sum]))).toBe(
      '"arguments" for tool "get-sum" must be an object (got an array). ' +
        'Expected: a (number, required), b (number, required).',
    );
  });
});

describe('checking arguments against the input schema', () => {
  const validator = new AjvJsonSchemaValidator();
  const uncheckable: string[] = [];
  const check = createArgumentCheck(
    (schema) => validator.getValidator(schema),
    (tool) => uncheckable.push(tool.name),
  );

  it('passes arguments that match', () => {
    expect(check({ tool: sum, arguments: { a: 1, b: 2 } })).toBeUndefined();
  });

  it('names every field that is wrong, in the terms the caller used', () => {
    expect(check({ tool: sum, arguments: { a: 'one' } })).toBe(
      'Invalid arguments for tool "get-sum": ' +
        "arguments must have required property 'b', arguments/a must be number. " +
        'Expected: a (number, required), b (number, required).',
    );
  });

  it('leaves a schema it cannot compile to the server, saying so once', () => {
    const odd: Tool = {
      name: 'odd',
      inputSchema: { type: 'object', properties: { x: { $ref: '#/nowhere' } } },
    };
    expect(check({ tool: odd, arguments: { x: 1 } })).toBeUndefined();
    expect(check({ tool: odd, arguments: { x: 2 } })).toBeUndefined();
    expect(uncheckable).toEqual(['odd']);
  });
});
