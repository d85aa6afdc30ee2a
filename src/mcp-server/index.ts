export {
  createMcpFace,
  type McpConnection,
  type McpFace,
  type McpFaceOptions,
} from './mcp-face.js';
