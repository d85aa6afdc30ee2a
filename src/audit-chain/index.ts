export { STREAM_ARCHIVED } from './archived-streams.js';
export { chainHash, GENESIS } from './chain-hash.js';
export { type AuditChainSealerOptions, startAuditChainSealer } from './chain-sealer.js';
export { migrateAuditChain, SEALER_NAME } from './chain-table.js';
export {
  type ChainBreak,
  type ChainBreakReason,
  type ChainVerification,
  verifyAuditChain,
} from './chain-verify.js';
