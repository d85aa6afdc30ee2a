export { type AnsweredRequest, accessLog } from './access-log.js';
export { type AppDependencies, createApp } from './app.js';
export {
  type AuthenticationOptions,
  authenticate,
} from './authenticate.js';
export type { CorsOptions } from './cors.js';
export { mountOAuthRoutes, type OAuthRoutesOptions } from './oauth-routes.js';
export { assertPortAvailable, PortUnavailableError } from './port-check.js';
export type { ReadinessCheck } from './readiness.js';
export { type RunningServer, startHttpServer } from './server.js';
