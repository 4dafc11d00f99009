/**
 * The verdict of a hash, and where it comes from. The sources are asked in this order, and the
 * first that has a verdict decides (keep the order: look-ups, the operator view and docs/network.md
 * depend on it):
 *
 *   1. the operator's verdict, set by hand with a reason (audited `network.verdict`): the deny list
 *      gives `malicious`, the allow list `clean` (source `operator`). It overrides everything below,
 *      so a false positive reported by every endpoint is cleared by one allow-list entry;
 *   2. detections reported by at least N distinct endpoints (`networkDetectionQuorum`, default 2)
 *      give `malicious` (source `detections`). Endpoints, not reports: one endpoint repeating a
 *      detection, or replaying batches, counts once; an endpoint is one activated machine, so
 *      faking a quorum needs that many paid seats;
 *   3. otherwise no verdict: the hash is not listed by look-ups at all (an unknown hash, or one
 *      only seen as an unknown executable, reveals nothing, not even that it was seen).
 *
 * The verdict is worked out when it is read, from the stored counts and the operator's entry, so
 * a change of N applies at once to every hash.
 */
export const VERDICTS = ['malicious', 'clean'] as const;
export type Verdict = (typeof VERDICTS)[number];
export type VerdictSource = 'operator' | 'detections';

export interface HashVerdict {
  verdict: Verdict;
  source: VerdictSource;
}

export function hashVerdict(operatorVerdict: Verdict | null, detectingEndpoints: number, quorum: number): HashVerdict | null {
  if (operatorVerdict !== null) return { verdict: operatorVerdict, source: 'operator' }; // 1
  if (detectingEndpoints >= Math.max(1, quorum)) return { verdict: 'malicious', source: 'detections' }; // 2
  return null; // 3
}
