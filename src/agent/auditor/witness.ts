/**
 * Checkpoints seen by other parties (other users, monitors, witnesses), compared with the one this
 * auditor verified. Two signed checkpoints of one log that cannot be one history prove that the
 * log showed different trees to different readers (a split view):
 * - the same size with different roots;
 * - different sizes without a valid consistency proof from the smaller to the larger, computed
 *   from the tiles of the larger tree (RFC 9162 2.1.4). When the larger tree is the other party's,
 *   the source must serve its tiles (tiles stay once written); if it does not, there is no proof.
 * Checkpoints given by others that are larger than ours are also compared with each other.
 */
import { openCheckpoint, verifyConsistency, type SignedCheckpoint, type TileFetcher } from '../../protocol/index.js';
import { readFile } from 'node:fs/promises';
import { AuditorError } from './auditor-error.js';
import type { AuditedWitness, AuditProblem, SplitView } from './audit-report.js';
import { proofOrNothing, type LogKeys } from './log-audit.js';
import { AUDIT_LIMITS, httpSource } from './repo-source.js';

export interface WitnessInput {
  /** Where it came from (a file or a URL), for the report. */
  label: string;
  text: string;
}

/** Reads a checkpoint given as a file path or an http(s) URL (a log's `checkpoint`, a witness's copy). */
export async function readWitnessInput(spec: string): Promise<WitnessInput> {
  if (/^https?:\/\//i.test(spec)) {
    const url = new URL(spec);
    const source = httpSource(url.origin, spec);
    const data = await source.read(url.pathname.replace(/^\/+/, '') + url.search, AUDIT_LIMITS.maxCheckpointBytes);
    if (data === undefined) throw new AuditorError('UNREACHABLE', `${spec}: HTTP 404`);
    return { label: spec, text: Buffer.from(data).toString('utf8') };
  }
  try {
    const data = await readFile(spec);
    if (data.length > AUDIT_LIMITS.maxCheckpointBytes) throw new AuditorError('TOO_LARGE', `${spec} is larger than a checkpoint (${AUDIT_LIMITS.maxCheckpointBytes} bytes)`);
    return { label: spec, text: data.toString('utf8') };
  } catch (e) {
    if (e instanceof AuditorError) throw e;
    throw new AuditorError('UNREACHABLE', `${spec}: ${(e as Error).message}`, { cause: e });
  }
}

/** Whether two checkpoints can be one history; the reason when they cannot. */
async function splitReason(a: SignedCheckpoint, b: SignedCheckpoint, fetchTile: TileFetcher): Promise<string | undefined> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if (small.size === large.size) {
    return Buffer.from(small.rootHash).equals(Buffer.from(large.rootHash)) ? undefined : `two trees of ${small.size} entries with different roots`;
  }
  const notes: string[] = [];
  const proof = await proofOrNothing(small.size, large.size, fetchTile, notes);
  try {
    verifyConsistency(small.size, large.size, proof, small.rootHash, large.rootHash);
    return undefined;
  } catch (e) {
    return notes.length > 0 ? `${notes.join('; ')}: the tree of ${large.size} entries cannot be shown to extend the tree of ${small.size}` : `the tree of ${large.size} entries does not extend the tree of ${small.size}: ${(e as Error).message}`;
  }
}

export interface WitnessOutcome {
  witnesses: AuditedWitness[];
  splitViews: SplitView[];
}

export async function checkWitnesses(inputs: readonly WitnessInput[], ours: SignedCheckpoint, keys: LogKeys, fetchTile: TileFetcher, problems: AuditProblem[]): Promise<WitnessOutcome> {
  const witnesses: AuditedWitness[] = [];
  const splitViews: SplitView[] = [];
  const larger: { input: WitnessInput; checkpoint: SignedCheckpoint }[] = [];
  for (const input of inputs) {
    let theirs: SignedCheckpoint;
    try {
      theirs = openCheckpoint(input.text, { verifiers: keys.verifiers, origin: keys.origin });
    } catch (e) {
      problems.push({ code: 'WITNESS_INVALID', message: `${input.label}: not a checkpoint of ${keys.origin} signed by its key: ${(e as Error).message}` });
      witnesses.push({ source: input.label, consistent: false });
      continue;
    }
    const reason = await splitReason(ours, theirs, fetchTile);
    if (reason !== undefined) splitViews.push({ reason, ours: ours.note, theirs: theirs.note, witness: input.label });
    else if (theirs.size > ours.size) larger.push({ input, checkpoint: theirs });
    witnesses.push({ source: input.label, size: theirs.size, consistent: reason === undefined });
  }
  larger.sort((x, y) => x.checkpoint.size - y.checkpoint.size);
  for (let i = 1; i < larger.length; i++) {
    const [a, b] = [larger[i - 1]!, larger[i]!];
    const reason = await splitReason(a.checkpoint, b.checkpoint, fetchTile);
    if (reason === undefined) continue;
    splitViews.push({ reason: `between ${a.input.label} and ${b.input.label}: ${reason}`, ours: a.checkpoint.note, theirs: b.checkpoint.note, witness: b.input.label });
    for (const w of witnesses) if (w.source === a.input.label || w.source === b.input.label) w.consistent = false;
  }
  return { witnesses, splitViews };
}
