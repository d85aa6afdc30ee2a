export { type AppDependencies, createApp } from './app.js';
export { type RunningServer, startHttpServer } from './server.js';
