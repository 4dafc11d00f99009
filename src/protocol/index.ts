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
export { POLICY_ACTIONS, POLICY_ACTION_WORDS, describeAction, isPolicyAction, type PolicyAction } from './policy-actions.js';
export { POLICY_EFFECTS, POLICY_NOTICES_MAX, readPolicyDecision, readPolicyNotices } from './policy-decision.js';
export type { PolicyDecision, PolicyEffect, PolicyRuleRef, ReceivedPolicyDecision, SubjectAttribute, WireText } from './policy-decision.js';
export {
  LICENSE_KEY_ALPHABET,
  LICENSE_KEY_HASH_PREFIX,
  LICENSE_KEY_MAX_INPUT_CHARS,
  LICENSE_KEY_PREFIX,
  LICENSE_KEY_RANDOM_SYMBOLS,
  LICENSE_KEY_SYMBOLS,
  checkLicenseKey,
  generateLicenseKey,
  hashLicenseKey,
  licenseKeyHint,
  normalizeLicenseKey,
  type LicenseKeyCheck,
} from './license-key.js';
export {
  LICENSE_FIELD_MAX_CHARS,
  LICENSE_FILE_FORMAT,
  LICENSE_FILE_MAX_BYTES,
  LICENSE_MAX_ENTITLEMENTS,
  LICENSE_SIGNATURE_PREFIX,
  LicenseFileError,
  exportPublicKeyPem,
  formatLicenseFile,
  importPublicKeyPem,
  isMachineFingerprint,
  parseLicenseFileText,
  publicKeyId,
  signLicenseFile,
  verifyLicenseFile,
} from './license-file.js';
export type {
  LicenseCheck,
  LicenseFailureCode,
  LicenseFile,
  LicenseFileParse,
  LicenseInvalid,
  LicensePayload,
  LicenseState,
  LicenseStatus,
  LicenseValid,
  LicenseVerifyOptions,
} from './license-file.js';
export * from './tlog/index.js';
export * from './image-delta/index.js';
export {
  POLICY_NOTICE_FORMAT,
  POLICY_NOTICE_HEADER,
  POLICY_NOTICE_MAX_CHARS,
  POLICY_NOTICE_SIGNATURE_PREFIX,
  buildPolicyNoticePayload,
  policyNoticeSignedBytes,
  signPolicyNotice,
} from './policy-notice.js';
export type { NoticeDecision, PolicyNoticePayload, SignedPolicyNotice } from './policy-notice.js';
export { VigilError, type VigilErrorDetail, type VigilErrorOptions } from './vigil-error.js';
