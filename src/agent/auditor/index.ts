/**
 * The update-log auditor (issue 6): verifies a published update repository as a third party, with no
 * account: TUF metadata, the transparency log and its history, every release against the log, and
 * checkpoints seen by others (split views). See docs/audit.md, "Auditing the update log".
 */
export { AuditorError, type AuditorErrorCode } from './auditor-error.js';
export type { AuditedRelease, AuditedRoot, AuditedWitness, AuditProblem, AuditProblemCode, AuditReport, SignatureCounts, SplitView } from './audit-report.js';
export { AUDIT_LIMITS, folderSource, httpSource, serverSource, type RepoSource } from './repo-source.js';
export { MUTABLE_PATHS } from './audit-state.js';
export { auditRepository, defaultStateDir, type AuditOptions } from './audit-repository.js';
export { diffReleases, type ReleaseDiff } from './release-diff.js';
export { readWitnessInput, type WitnessInput } from './witness.js';
export { countSignatures, diffSignatures, listSignatures, type NamedSignature, type SignatureChange, type SignatureDiff, type SignatureKind } from './signature-names.js';
