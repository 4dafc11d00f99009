/** What the agent and the cloud share: wire formats. Imports nothing of Vigil. */
export { hexToBytes, isHex } from './hex.js';
export { CANONICAL_JSON_MAX_DEPTH, canonicalJson } from './canonical-json.js';
export {
  AUDIT_GENESIS,
  AUDIT_HASH_PREFIX,
  AUDIT_MAX_LINE_BYTES,
  AuditChainError,
  chainAuditRecord,
  createAuditChainVerifier,
  formatAuditLine,
  hashAuditRecord,
  parseAuditLine,
  verifyAuditJsonLines,
} from './audit-chain.js';
export type {
  AuditChainFailure,
  AuditChainResult,
  AuditChainSuccess,
  AuditChainVerifier,
  AuditFailureCode,
  AuditHead,
  AuditRecord,
  AuditRecordErrorCode,
  AuditRecordFields,
  AuditVerifyOptions,
} from './audit-chain.js';
export { POLICY_ACTIONS, type PolicyAction } from './policy-actions.js';
