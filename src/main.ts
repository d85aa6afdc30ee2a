import { serve } from './serve.js';

// `npm start`: the gateway on its embedded default, until SIGTERM or SIGINT (`gateway serve`).
await serve();
