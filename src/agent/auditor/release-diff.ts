/**
 * `diffReleases`: what changed between two releases, by signature name, read from their images
 * once the audit verified both (so the names are those of the logged, signed images).
 */
import { createHash } from 'node:crypto';
import { Database } from '../../engine/index.js';
import { AuditorError } from './auditor-error.js';
import type { AuditReport } from './audit-report.js';
import { auditRepository, type AuditOptions } from './audit-repository.js';
import { AuditState } from './audit-state.js';
import { imagePath } from './release-audit.js';
import { diffSignatures, listSignatures, type SignatureDiff } from './signature-names.js';

export interface ReleaseDiff extends SignatureDiff {
  from: number;
  to: number;
}

/**
 * Audits the repository, then compares releases `from` and `to`. The diff is absent when either
 * release did not verify (the report says why); BAD_ARGUMENT when one is not in the log at all.
 */
export async function diffReleases(options: AuditOptions, from: number, to: number): Promise<{ report: AuditReport; diff: ReleaseDiff | undefined }> {
  const report = await auditRepository(options);
  if (report.log === undefined) return { report, diff: undefined };
  const state = new AuditState(report.state);
  const load = (n: number): Database | undefined => {
    const release = report.releases.find((r) => r.number === n);
    if (release === undefined) throw new AuditorError('BAD_ARGUMENT', `release ${n} is not in the log (it holds releases ${report.releases.length === 0 ? 'none' : `1 to ${report.releases.length}`})`);
    if (!release.verified) return undefined;
    const bytes = state.mirroredFile(imagePath(release));
    // The mirror is this auditor's own; the digest is checked again all the same.
    if (bytes === undefined || createHash('sha256').update(bytes).digest('hex') !== release.image.sha256) return undefined;
    return new Database(bytes, imagePath(release));
  };
  const [a, b] = [load(from), load(to)];
  if (a === undefined || b === undefined) return { report, diff: undefined };
  return { report, diff: { from, to, ...diffSignatures(listSignatures(a), listSignatures(b)) } };
}
