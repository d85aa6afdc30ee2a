export { ALL_SCOPES, ANONYMOUS, hasScope, type Principal, SCOPES, type Scope } from './principal.js';
