import { createHash } from 'node:crypto';
import type { Implementation, Tool } from '@modelcontextprotocol/sdk/types.js';
import canonicalize from 'canonicalize';
import type { AgentExtension, AgentSkill } from '../../protocol/index.js';
import type { CardContent } from '../hosted-executor.js';
import { exampleArguments, singleStringArgument } from './tool-examples.js';

type Params = NonNullable<AgentExtension['params']>[string];

/** The card extension that carries each tool's input JSON Schema. */
export const MCP_TOOLS_EXTENSION = 'urn:a2a-gateway:mcp-tools:v1';

/** What a connected server told about itself and its tools. */
export interface ServerSnapshot {
  tools: Tool[];
  server?: Implementation;
  instructions?: string;
}

/** Long server instructions are for models; a card's description gets their first paragraph. */
const MAX_DESCRIPTION_CHARS = 1_000;

/**
 * The tools that become skills: those `wanted` names (all when unset), less the tools that
 * only run as MCP tasks (`execution.taskSupport: required`), which a plain call cannot reach.
 */
export function exposedTools(tools: readonly Tool[], wanted?: readonly string[]): Tool[] {
  const names = wanted ? new Set(wanted) : undefined;
  return tools.filter(
    (tool) => (!names || names.has(tool.name)) && tool.execution?.taskSupport !== 'required',
  );
}

/** The card content of a server's exposed tools: one skill per tool, their schemas beside. */
export function toolsCard(snapshot: ServerSnapshot, origin: string): CardContent {
  const { tools, server } = snapshot;
  const textTool = tools.length === 1 ? tools[0] : undefined;
  const description = server?.description ?? firstParagraph(snapshot.instructions);
  const icon = server?.icons?.find((candidate) => /^https?:/.test(candidate.src));
  return {
    skills: tools.map((tool) => toolSkill(tool, tool === textTool)),
    ...(server ? { name: server.title ?? server.name, version: server.version } : {}),
    ...(description ? { description } : {}),
    ...(server?.websiteUrl ? { documentationUrl: server.websiteUrl } : {}),
    ...(icon ? { iconUrl: icon.src } : {}),
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: [
      'text/plain',
      'application/json',
      'image/*',
      'audio/*',
      'application/octet-stream',
    ],
    extensions: [
      {
        uri: MCP_TOOLS_EXTENSION,
        description:
          'Each skill is the MCP tool of the same name. Call one with a data part ' +
          '{"tool": "<skill id>", "arguments": {...}}; the arguments must match the tool\'s ' +
          'input JSON Schema, given here by tool name.',
        params: {
          tools: Object.fromEntries(tools.map((tool) => [tool.name, tool.inputSchema])) as Params,
        },
      },
    ],
    source: {
      kind: 'mcp',
      origin,
      ...(server?.version ? { version: server.version } : {}),
      digest: toolsDigest(tools),
    },
  };
}

/** Hex SHA-256 of the tools as the server listed them (RFC 8785 form: key order is no change). */
export function toolsDigest(tools: readonly Tool[]): string {
  return createHash('sha256')
    .update(canonicalize(tools) ?? '[]')
    .digest('hex');
}

function toolSkill(tool: Tool, takesText: boolean): AgentSkill {
  const call = JSON.stringify({ tool: tool.name, arguments: exampleArguments(tool) });
  const textArgument = takesText ? singleStringArgument(tool) : undefined;
  return {
    id: tool.name,
    name: tool.title ?? tool.annotations?.title ?? tool.name,
    description: tool.description?.trim() || `Calls the MCP tool ${tool.name}.`,
    tags: ['mcp', tool.name],
    // A text example only where text works: the agent's single tool with one string argument.
    examples: textArgument ? [call, `<${textArgument}>`] : [call],
    inputModes: textArgument ? ['application/json', 'text/plain'] : ['application/json'],
  };
}

function firstParagraph(text: string | undefined): string | undefined {
  const paragraph = text
    ?.split(/\n\s*\n/)
    .map((part) => part.replace(/^#+\s*/, '').trim())
    .find((part) => part.length > 0);
  if (!paragraph) return undefined;
  return paragraph.length > MAX_DESCRIPTION_CHARS
    ? `${paragraph.slice(0, MAX_DESCRIPTION_CHARS - 1)}…`
    : paragraph;
}
