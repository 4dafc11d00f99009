/**
 * The operator's allow and deny lists: a verdict set by hand for one hash, with a reason, recorded
 * in the audit log (`network.verdict`, with the previous entry). `none` removes the entry. An entry
 * may name a hash no endpoint has reported yet (it then has an aggregate row with zero counts,
 * which disappears again when the entry is removed and nothing was reported).
 */
import type { Actor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { forUpdate, type Queryable } from '../store/index.js';
import { readHash } from './aggregates.js';
import { hashVerdict, type Verdict, type VerdictSource } from './verdict.js';

export interface OperatorVerdict {
  verdict: Verdict;
  reason: string;
  set_by: string;
  set_at: string;
}

/** What operators and auditors see of a hash. */
export interface HashSummary {
  sha256: string;
  prevalence: number;
  detecting_endpoints: number;
  reports: number;
  first_seen: string | null;
  last_seen: string | null;
  countries: string[];
  detection_names: string[];
  verdict: Verdict | null;
  verdict_source: VerdictSource | null;
  operator_verdict: OperatorVerdict | null;
}

export async function getOperatorVerdict(q: Queryable, sha256: string): Promise<OperatorVerdict | undefined> {
  return q.get<OperatorVerdict>('SELECT verdict, reason, set_by, set_at FROM network_operator_verdicts WHERE sha256 = ?', [sha256]);
}

/** The summary of a hash, or undefined when the network knows nothing about it. */
export async function summarizeHash(q: Queryable, sha256: string, quorum: number): Promise<HashSummary | undefined> {
  const row = await readHash(q, sha256);
  if (!row) return undefined;
  const operator = (await getOperatorVerdict(q, sha256)) ?? null;
  const v = hashVerdict(operator?.verdict ?? null, row.detecting_endpoints, quorum);
  return {
    sha256,
    prevalence: row.endpoints,
    detecting_endpoints: row.detecting_endpoints,
    reports: row.reports,
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    countries: JSON.parse(row.countries) as string[],
    detection_names: JSON.parse(row.detection_names) as string[],
    verdict: v?.verdict ?? null,
    verdict_source: v?.source ?? null,
    operator_verdict: operator,
  };
}

export async function setOperatorVerdict(tx: Queryable, sha256: string, verdict: Verdict | 'none', reason: string, actor: Actor): Promise<OperatorVerdict | null> {
  // The audit head first, then the hash row: the lock order every network writer keeps.
  await tx.get(`SELECT seq FROM audit_head WHERE id = 1${forUpdate(tx)}`);
  await tx.run(
    `INSERT INTO network_hashes (sha256, bucket, endpoints, detecting_endpoints, reports, first_seen, last_seen, countries, detection_names)
     VALUES (?, ?, 0, 0, 0, NULL, NULL, '[]', '[]') ON CONFLICT (sha256) DO NOTHING`,
    [sha256, sha256.slice(0, 8)],
  );
  const row = await tx.get<{ reports: number }>(`SELECT reports FROM network_hashes WHERE sha256 = ?${forUpdate(tx)}`, [sha256]);
  const previous = (await getOperatorVerdict(tx, sha256)) ?? null;
  let entry: OperatorVerdict | null = null;
  // The verdict itself is copied into the hash's row, which look-ups read alone.
  await tx.run('UPDATE network_hashes SET operator_verdict = ? WHERE sha256 = ?', [verdict === 'none' ? null : verdict, sha256]);
  if (verdict === 'none') {
    await tx.run('DELETE FROM network_operator_verdicts WHERE sha256 = ?', [sha256]);
    if ((row?.reports ?? 0) === 0) await tx.run('DELETE FROM network_hashes WHERE sha256 = ?', [sha256]);
  } else {
    entry = { verdict, reason, set_by: actor.name, set_at: actor.now.toISOString() };
    await tx.run(
      `INSERT INTO network_operator_verdicts (sha256, verdict, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sha256) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`,
      [sha256, entry.verdict, entry.reason, entry.set_by, entry.set_at],
    );
  }
  await appendAudit(tx, { kind: 'network.verdict', actor: actor.name, tenant: null, data: { sha256, verdict, reason, previous: previous && { verdict: previous.verdict, reason: previous.reason, set_by: previous.set_by, set_at: previous.set_at } } }, actor.now);
  return entry;
}
