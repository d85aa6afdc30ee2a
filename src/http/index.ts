export { type AppDependencies, createApp } from './app.js';
export {
  type AuthenticationOptions,
  authenticate,
} from './authenticate.js';
export { mountOAuthRoutes, type OAuthRoutesOptions } from './oauth-routes.js';
export { assertPortAvailable, PortUnavailableError } from './port-check.js';
export { type RunningServer, startHttpServer } from './server.js';
