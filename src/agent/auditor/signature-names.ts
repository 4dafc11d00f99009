/**
 * The signatures of a compiled database image, by kind and name, and what changed between two.
 *
 * Names come from the engine (Database.signatures()); the auditor tests check that the names
 * found match the counts of Database.info().
 */
import type { Database } from '../../engine/index.js';
import type { SignatureCounts } from './audit-report.js';

export type SignatureKind = 'hash' | 'body' | 'logical' | 'allow';

export interface NamedSignature {
  kind: SignatureKind;
  name: string;
}

export function countSignatures(db: Database): SignatureCounts {
  const info = db.info();
  return { hash: info.hashSignatures, body: info.bodySignatures, logical: info.logicalSignatures, allow: info.allowListEntries, total: info.knownSignatures };
}

/** Every signature of `db` with its kind and name (a name may appear more than once). */
export function listSignatures(db: Database): NamedSignature[] {
  return db.signatures();
}

export interface SignatureChange extends NamedSignature {
  /** How many signatures of this kind and name were added (or removed). */
  count: number;
}

export interface SignatureDiff {
  added: SignatureChange[];
  removed: SignatureChange[];
}

/**
 * What `to` has that `from` has not, and the reverse, by kind and name (counted: two hash
 * signatures of one name are two). A signature changed under the same name is not shown.
 */
export function diffSignatures(from: readonly NamedSignature[], to: readonly NamedSignature[]): SignatureDiff {
  const tally = (list: readonly NamedSignature[]) => {
    const m = new Map<string, number>();
    for (const s of list) m.set(`${s.kind}\u0000${s.name}`, (m.get(`${s.kind}\u0000${s.name}`) ?? 0) + 1);
    return m;
  };
  const [a, b] = [tally(from), tally(to)];
  const changes = (x: Map<string, number>, y: Map<string, number>): SignatureChange[] => {
    const out: SignatureChange[] = [];
    for (const [key, n] of x) {
      const d = n - (y.get(key) ?? 0);
      if (d <= 0) continue;
      const [kind, name] = key.split('\u0000') as [SignatureKind, string];
      out.push({ kind, name, count: d });
    }
    return out.sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : p.kind < q.kind ? -1 : p.kind > q.kind ? 1 : 0));
  };
  return { added: changes(b, a), removed: changes(a, b) };
}
