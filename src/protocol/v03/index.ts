// A2A v0.3 as carried by JSON-RPC, and its mapping to and from v1.0: incoming 0.3 calls are
// translated at the edge (a2a/), and so are calls to upstream agents that speak 0.3 (executors/).
export * from './card.js';
export * from './card-from-v03.js';
export * from './results-from-v03.js';
export * from './schemas.js';
export * from './translate.js';
