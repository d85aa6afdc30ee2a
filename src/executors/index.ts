export {
  type AbortCause,
  type AgentExecutor,
  type Emission,
  type Emit,
  type ExecutionContext,
  RunAborted,
} from './agent-executor.js';
export { createEchoAgent, ECHO_COMMANDS } from './builtin/echo.js';
