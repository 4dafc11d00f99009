/**
 * The recursive walk through containers. The scanner scans the input itself first; then, when the
 * content is a container, each member is taken out (a view of the bytes, or decompressed into a
 * budgeted buffer), scanned with every kind of signature as a file of its own (hashes of the member,
 * body and logical signatures with the member's own file type), and unpacked in turn, in whatever
 * order formats nest. Findings name the chain: `files.tar.gz//docs/report.zip//macro.bin`.
 *
 * Limits (scan-limits.ts) are checked before each member and while decompressing; a limit that
 * stops part of the walk is recorded with where it stopped, and makes the verdict `incomplete`.
 */
import { DEFAULT_ALERTS, RATIO_FREE_BYTES, type ScanAlerts, type ScanLimits } from '../scan-limits.js';
import type { ContainerIssue, Finding, LimitHit, LimitName, ScanResult } from '../result.js';
import type { ContainerReader } from './container-reader.js';
import type { Member, ReadBounds } from './member.js';
import { OutputBuffer } from './output-buffer.js';
import { findContainerReader } from './registry.js';
import { ScanBudget } from './scan-budget.js';

export interface TreeOptions {
  allMatch: boolean;
  limits: ScanLimits;
  alerts: ScanAlerts;
}

/** Scans one object's bytes (hashes, body and logical signatures), matching at most `maxScanSize` bytes. */
export type ScanObject = (bytes: Uint8Array, path: string, maxScanSize: number) => ScanResult;

/** ClamAV's names for its limits in `Heuristics.Limits.Exceeded.<Name>`; MaxCompressionRatio is Vigil's own. */
export const LIMIT_ALERT_NAMES: Record<LimitName, string> = {
  'max-filesize': 'MaxFileSize',
  'max-scansize': 'MaxScanSize',
  'max-recursion': 'MaxRecursion',
  'max-files': 'MaxFiles',
  'max-scantime': 'MaxScanTime',
  'max-compression-ratio': 'MaxCompressionRatio',
};

const LIMIT_FIELDS: Record<LimitName, keyof ScanLimits> = {
  'max-filesize': 'maxFileSize',
  'max-scansize': 'maxScanSize',
  'max-recursion': 'maxRecursion',
  'max-files': 'maxFiles',
  'max-scantime': 'maxScanTime',
  'max-compression-ratio': 'maxCompressionRatio',
};

export function joinPath(parent: string, name: string | null): string {
  return name === null ? parent : `${parent}//${name}`;
}

export class TreeScan {
  readonly findings: Finding[] = [];
  /** Potentially unwanted (heuristic) findings: reported when nothing else is, or with all-match. */
  readonly unwanted: Finding[] = [];
  readonly limitsHit: LimitHit[] = [];
  readonly issues: ContainerIssue[] = [];
  /** An entry could not be scanned (encrypted, unsupported method). */
  incomplete = false;
  /** A limit ended the whole walk (time, files, bytes). */
  private stopped = false;

  constructor(
    private readonly scanObject: ScanObject,
    private readonly opts: TreeOptions,
    readonly budget: ScanBudget,
  ) {}

  private get done(): boolean {
    return this.stopped || (!this.opts.allMatch && this.findings.length > 0);
  }

  private hit(name: LimitName, path: string): void {
    this.limitsHit.push({ name, value: this.opts.limits[LIMIT_FIELDS[name]], path });
  }

  /** Unpacks `bytes` if it is a container, scanning every member; `depth` is the level of `bytes` (the input is 0). */
  async unpack(bytes: Uint8Array, path: string, depth: number): Promise<void> {
    if (this.done) return;
    const reader = findContainerReader(bytes);
    if (!reader) return;
    const { limits } = this.opts;
    if (depth + 1 >= limits.maxRecursion) {
      this.hit('max-recursion', path);
      return;
    }
    const bounds = { maxEntries: Math.max(0, limits.maxFiles - this.budget.objects) + 1, budget: this.budget };
    try {
      await this.walkMembers(reader, bytes, bounds, path, depth);
    } catch (e) {
      // A reader that throws on hostile input is a bug, but never costs the verdict: the container
      // is reported corrupt (and the scan incomplete) and everything else found so far stands.
      this.issues.push({ code: 'corrupt', path, detail: `the ${reader.name} reader failed: ${(e as Error).message}` });
      this.incomplete = true;
    }
  }

  private async walkMembers(reader: ContainerReader, bytes: Uint8Array, bounds: ReadBounds, path: string, depth: number): Promise<void> {
    const { limits } = this.opts;
    for await (const m of reader.members(bytes, bounds, { heuristics: this.opts.alerts.heuristics })) {
      if (this.done) return;
      if (this.budget.timedOut()) {
        this.hit('max-scantime', path);
        this.stopped = true;
        return;
      }
      if (m.kind === 'issue') {
        this.issue(m, path);
        continue;
      }
      if (m.kind === 'heuristic') {
        this.unwanted.push({ signature: m.signature, kind: 'heuristic', path });
        continue;
      }
      if (m.kind === 'limit') {
        this.hit(m.limit, joinPath(path, m.name));
        if (m.limit === 'max-scansize' || m.limit === 'max-scantime') this.stopped = true;
        continue;
      }
      if (this.budget.objects >= limits.maxFiles) {
        this.hit('max-files', path);
        this.stopped = true;
        return;
      }
      if (this.budget.remainingScan === 0) {
        this.hit('max-scansize', path);
        this.stopped = true;
        return;
      }
      this.budget.objects++;
      const child = joinPath(path, m.name);
      if (m.truncated) this.issues.push({ code: 'truncated', path: child, detail: 'the member is cut short; what there is was scanned' });
      if (m.kind === 'stored') await this.scanStored(m.bytes, child, depth + 1);
      else await this.scanCompressed(m, child, depth + 1);
    }
  }

  private issue(m: Extract<Member, { kind: 'issue' }>, path: string): void {
    const where = joinPath(path, m.name);
    this.issues.push({ code: m.code, path: where, detail: m.detail });
    if (m.incomplete) this.incomplete = true;
    if (m.code === 'encrypted' && this.opts.alerts.encrypted) this.unwanted.push({ signature: m.alert ?? 'Heuristics.Encrypted.Zip', kind: 'heuristic', path: where });
  }

  private async scanStored(bytes: Uint8Array, path: string, depth: number): Promise<void> {
    let view = bytes;
    if (view.length > this.opts.limits.maxFileSize) {
      this.hit('max-filesize', path);
      view = view.subarray(0, this.opts.limits.maxFileSize);
    }
    await this.scanChild(view, path, depth, 0);
  }

  private async scanCompressed(m: Extract<Member, { kind: 'compressed' }>, path: string, depth: number): Promise<void> {
    const { limits } = this.opts;
    // The output buffer's cap comes from the limits, never from a size the container declares.
    const caps: [LimitName, number][] = [
      ['max-filesize', limits.maxFileSize],
      ['max-scansize', this.budget.remainingScan],
      ['max-compression-ratio', Math.max(RATIO_FREE_BYTES, m.input.length * limits.maxCompressionRatio)],
    ];
    caps.sort((a, b) => a[1] - b[1]);
    const [binding, cap] = caps[0]!;
    const out = new OutputBuffer(this.budget, cap);
    try {
      let timedOut = false;
      const end = await m.decoder(m.input, (chunk) => {
        if (this.budget.timedOut()) return !(timedOut = true);
        return out.push(chunk);
      });
      const bytes = out.finish();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the decoder's callback above
      if (timedOut) {
        this.hit('max-scantime', path);
        this.stopped = true;
        this.budget.pending -= bytes.length;
        return;
      }
      if (end.end === 'stopped' && out.overflowed) {
        this.hit(binding, path);
        if (binding === 'max-scansize') this.stopped = true;
      }
      if (end.end === 'error') {
        this.issues.push({ code: bytes.length > 0 ? 'truncated' : 'corrupt', path, detail: `decompression failed: ${end.detail}` });
      }
      await this.scanChild(bytes, path, depth, bytes.length);
    } finally {
      out.release();
    }
  }

  /** Scans a member; `reserved`: its bytes already counted as pending in the budget. */
  private async scanChild(bytes: Uint8Array, path: string, depth: number, reserved: number): Promise<void> {
    const allowance = this.budget.remainingScan + reserved;
    this.budget.pending -= reserved;
    this.budget.bytesExtracted += bytes.length;
    const r = this.scanObject(bytes, path, allowance);
    this.budget.scanned += r.bytesScanned;
    this.findings.push(...r.findings);
    if (r.limit) this.hit(r.limit.name, path);
    if (r.allowListed) return;
    // The walk goes on below this member only when all of it was matched (no point unpacking what the budget cannot scan).
    if (!r.limit) await this.unpack(bytes, path, depth);
  }
}

/**
 * The result of a whole scan: the input's own result and what the walk found, with the alerts
 * applied (`Heuristics.Limits.Exceeded.*`, `Heuristics.Encrypted.Zip`, `Heuristics.Zip.OverlappingFiles`).
 */
export function completeResult(root: ScanResult, path: string, tree: TreeScan | null, opts: { allMatch: boolean; alerts?: ScanAlerts }): ScanResult {
  const alerts = opts.alerts ?? DEFAULT_ALERTS;
  const limits: LimitHit[] = [];
  if (root.limit) limits.push({ ...root.limit, path: root.limit.path ?? path });
  if (tree) limits.push(...tree.limitsHit);
  const unwanted = [...(tree?.unwanted ?? [])];
  if (alerts.exceedsMax) {
    const named = new Set<LimitName>();
    for (const l of limits) {
      if (named.has(l.name)) continue;
      named.add(l.name);
      unwanted.push({ signature: `Heuristics.Limits.Exceeded.${LIMIT_ALERT_NAMES[l.name]}`, kind: 'heuristic', path: l.path ?? path });
    }
  }
  let findings = [...root.findings, ...(tree?.findings ?? [])];
  if (findings.length === 0 || opts.allMatch) findings.push(...unwanted);
  findings = opts.allMatch ? dedupe(findings) : findings.slice(0, 1);
  const incomplete = limits.length > 0 || (tree?.incomplete ?? false);
  const result: ScanResult = {
    verdict: findings.length > 0 ? 'infected' : incomplete ? 'incomplete' : 'clean',
    infected: findings.length > 0,
    findings,
    size: root.size,
    bytesScanned: tree ? tree.budget.scanned : root.bytesScanned,
    fileType: root.fileType,
    allowListed: root.allowListed,
  };
  if (limits.length > 0) result.limit = limits[0]!;
  if (limits.length > 1) result.limits = limits;
  if (tree && tree.issues.length > 0) result.issues = tree.issues;
  if (tree && tree.budget.objects > 0) {
    result.containers = { objects: tree.budget.objects, bytesExtracted: tree.budget.bytesExtracted, peakBytesHeld: tree.budget.peakHeld };
  }
  return result;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.signature}\0${f.path}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

export { ScanBudget };
