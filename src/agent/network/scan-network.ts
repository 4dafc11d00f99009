/**
 * The security network during a scan, when the user opted in and the license allows it:
 * - files the engine found nothing in are hashed, checked against the reputation cache and then the
 *   cloud (reputation-lookup.ts) within the scan's cloud timeout; a cloud failure leaves them as
 *   the engine said and the rest of the scan uses the cache only, so an unreachable cloud costs one
 *   timeout at most;
 * - every local detection (and, with consent for them, every PE or ELF file that neither the engine
 *   nor the cloud knows) is queued as an event: hash, size, type, detection name, engine and
 *   database, time; never the path;
 * - at the end, one bounded send of the queue (sender.ts), unless the cloud already failed.
 * Nothing here throws into the scan: every failure becomes a notice or a file without a cloud
 * verdict. Standard input is not looked up (its bytes cannot be read again to hash them).
 */
import type { ScanResult } from '../../engine/index.js';
import { checkLicense } from '../license/index.js';
import { allows, readConsent, type ConsentRecord } from './consent.js';
import { hashFile } from './file-hash.js';
import { networkClientFor, type KnownHash, type NetworkClient } from './network-client.js';
import { NetworkError } from './network-error.js';
import type { NetworkEvent } from './network-event.js';
import type { NetworkStop } from './network-state.js';
import { openNetworkStore, type NetworkStore } from './network-store.js';
import { lookUpReputation } from './reputation-lookup.js';
import { syncQueue, type SyncResult } from './sender.js';

/** The name a cloud verdict of malicious is reported under. */
export const CLOUD_DETECTION_NAME = 'Vigil.Cloud.Malicious';
/** File types reported as unknown executables (the engine's names). */
export const EXECUTABLE_TYPES: ReadonlySet<string> = new Set(['pe', 'elf']);
/** Files hashed at once. */
const HASH_CONCURRENCY = 4;

export interface ScanNetworkOptions {
  agentDir: string;
  /** How long each cloud step (look-ups, the final send) may take, in milliseconds. */
  timeoutMs: number;
  /** The engine's version. */
  engine: string;
  /** The signature database's identity; asked only when an event is queued. */
  database: () => string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

export interface ScanNetworkStart {
  /** Undefined: the network is off for this scan, and the scan runs exactly as without it. */
  network?: ScanNetwork;
  /** One-line notices for the user (network off for a reason, the cloud stopped collection). */
  notices: string[];
}

export interface ResolvedFile {
  path: string;
  result: ScanResult;
  /** Set when the cloud knows the file as malicious. */
  cloud?: KnownHash;
}

export interface ScanNetworkSummary {
  looked_up: number;
  cloud_detections: number;
  queued: number;
  dropped: number;
  lookup_error?: string;
  sync?: SyncResult;
  notices: string[];
}

/** A one-line description of a stop, for a scan's notice. */
export function describeStop(stop: NetworkStop, what: 'collection' | 'lookups'): string {
  const doing = what === 'collection' ? 'sending detection reports to the security network' : 'reputation look-ups in the security network';
  const why =
    stop.reason === 'policy_denied'
      ? `a jurisdiction rule stops it${stop.decision?.since ? ` since ${stop.decision.since}` : ''}${stop.decision?.reason ? `: ${stop.decision.reason}` : ''}`
      : stop.reason === 'consent_required'
        ? 'the cloud holds no consent for this machine; run "vigil network enable" again'
        : 'this license does not include the security network';
  const kept = what === 'collection' ? ' Reports already queued are kept and not sent.' : ' The local reputation cache is still used.';
  return `NOTICE: Vigil stopped ${doing} on ${stop.at}: ${why.replace(/\s+/g, ' ').replace(/[.\s]+$/, '')}.${kept} See "vigil network status".`;
}

/** Opens the network for one scan, or says why it is off. Never throws. */
export function startScanNetwork(options: ScanNetworkOptions): ScanNetworkStart {
  const now = options.now ?? (() => new Date());
  let consent: ConsentRecord | undefined;
  try {
    consent = readConsent(options.agentDir);
  } catch (e) {
    return { notices: [`NOTICE: the security network is off for this scan: ${(e as Error).message}`] };
  }
  if (!consent?.enabled) return { notices: [] };
  const license = checkLicense(options.agentDir, { now: now(), entitlement: 'network', ...(options.env ? { env: options.env } : {}) });
  if (!license.ok) return { notices: [`NOTICE: the security network is off for this scan: ${license.message}`] };
  let store: NetworkStore;
  try {
    store = openNetworkStore(options.agentDir);
  } catch (e) {
    return { notices: [`NOTICE: the security network is off for this scan: ${(e as Error).message}`] };
  }
  try {
    const client = networkClientFor(options.agentDir, options.fetch ? { fetch: options.fetch } : {});
    const notices: string[] = [];
    for (const [key, what] of [['collect_stop', 'collection'], ['lookup_stop', 'lookups']] as const) {
      const stop = store.state.get(key);
      if (stop && !stop.announced) {
        notices.push(describeStop(stop, what));
        store.state.set(key, { ...stop, announced: true });
      }
    }
    return { network: new ScanNetwork(options, consent, store, client, now), notices };
  } catch (e) {
    store.close();
    return { notices: [`NOTICE: the security network is off for this scan: ${(e as Error).message}`] };
  }
}

/** A file reported once the files before it have their cloud verdict (so that lines keep their order). */
interface Pending {
  path: string;
  result: ScanResult;
  /** Set for files to look up. */
  hash?: Promise<string | undefined>;
}

interface Detected {
  result: ScanResult;
  hash: Promise<string | undefined>;
  seenAt: string;
}

export class ScanNetwork {
  private readonly files: Pending[] = [];
  private readonly detections: Detected[] = [];
  private readonly events: NetworkEvent[] = [];
  private readonly collectDetections: boolean;
  private readonly collectUnknown: boolean;
  private databaseId: string | undefined;
  private cloudFailed = false;
  private hashing = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly summary: ScanNetworkSummary = { looked_up: 0, cloud_detections: 0, queued: 0, dropped: 0, notices: [] };

  constructor(
    private readonly options: ScanNetworkOptions,
    consent: ConsentRecord,
    private readonly store: NetworkStore,
    private readonly client: NetworkClient,
    private readonly now: () => Date,
  ) {
    const collecting = store.state.get('collect_stop') === undefined;
    this.collectDetections = collecting && allows(consent, 'detections');
    this.collectUnknown = collecting && allows(consent, 'unknown-executables');
  }

  /** Files waiting to be reported (resolve them when this reaches LOOKUP_MAX_PREFIXES). */
  get pending(): number {
    return this.files.length;
  }

  /**
   * Takes one file's result. Returns true when the file waits (for its cloud verdict, or behind
   * files that do: resolve() returns it, in order, to be reported), false when it is to be
   * reported now as the engine said.
   */
  add(path: string, result: ScanResult): boolean {
    const lookup = !result.infected && !result.allowListed && result.size > 0 && result.limit?.name !== 'max-filesize';
    if (result.infected && result.size > 0 && this.collectDetections) this.detections.push({ result, hash: this.hash(path, result.size), seenAt: this.now().toISOString() });
    if (!lookup && this.files.length === 0) return false;
    this.files.push(lookup ? { path, result, hash: this.hash(path, result.size) } : { path, result });
    return true;
  }

  /** The cloud's verdicts for the files waiting, in the order they were added; queues their events. */
  async resolve(): Promise<ResolvedFile[]> {
    const files = this.files.splice(0);
    const detections = this.detections.splice(0);
    const hashes = await Promise.all(files.map((f) => f.hash ?? Promise.resolve(undefined)));
    const out: ResolvedFile[] = files.map((f) => ({ path: f.path, result: f.result }));
    try {
      const known = hashes.filter((h): h is string => h !== undefined);
      const outcome = await lookUpReputation(known, { store: this.store, client: this.cloudFailed ? undefined : this.client, timeoutMs: this.options.timeoutMs, now: this.now });
      this.summary.looked_up += outcome.asked;
      if (outcome.error) {
        this.summary.lookup_error = outcome.error.message;
        if (outcome.error.transient) this.cloudFailed = true;
      }
      if (outcome.stop) {
        this.summary.notices.push(describeStop(outcome.stop, 'lookups'));
        this.store.state.set('lookup_stop', { ...outcome.stop, announced: true });
      }
      const seenAt = this.now().toISOString();
      files.forEach((f, i) => {
        const sha = hashes[i];
        if (sha === undefined) return;
        const verdict = outcome.known.get(sha);
        if (verdict?.verdict === 'malicious') {
          out[i]!.cloud = verdict;
          this.summary.cloud_detections++;
        } else if (!verdict && this.collectUnknown && EXECUTABLE_TYPES.has(f.result.fileType)) {
          this.events.push({ kind: 'unknown-executable', sha256: sha, size: f.result.size, file_type: f.result.fileType, detection: null, engine: this.options.engine, database: this.database(), seen_at: seenAt });
        }
      });
      for (const d of detections) {
        const sha = await d.hash;
        if (sha === undefined) continue;
        for (const finding of d.result.findings) {
          this.events.push({ kind: 'detection', sha256: sha, size: d.result.size, file_type: d.result.fileType, detection: finding.signature, engine: this.options.engine, database: this.database(), seen_at: d.seenAt });
        }
      }
      this.flushEvents();
    } catch (e) {
      this.summary.notices.push(`NOTICE: the security network skipped part of this scan: ${(e as Error).message}`);
    }
    return out;
  }

  /** Resolves what is left, queues the events, sends once within the timeout, and closes. Never throws. */
  async finish(): Promise<ScanNetworkSummary> {
    try {
      if (this.files.length > 0 || this.detections.length > 0) await this.resolve();
      if (!this.cloudFailed) {
        const started = this.now();
        this.summary.sync = await syncQueue({
          agentDir: this.options.agentDir,
          store: this.store,
          client: this.client,
          deadline: started.getTime() + this.options.timeoutMs,
          retry: false,
          respectBackoff: true,
          ...(this.options.log ? { log: this.options.log } : {}),
        });
        const stop = this.summary.sync.stop;
        if (this.summary.sync.outcome === 'stopped' && stop && !stop.announced) {
          this.summary.notices.push(describeStop(stop, 'collection'));
          this.store.state.set('collect_stop', { ...stop, announced: true });
        }
      }
    } catch (e) {
      this.summary.notices.push(`NOTICE: the security network could not finish: ${(e as NetworkError | Error).message}`);
    } finally {
      try {
        this.store.close();
      } catch {
        // already closed
      }
    }
    return this.summary;
  }

  private flushEvents(): void {
    if (this.events.length === 0) return;
    const events = this.events.splice(0);
    const done = this.store.queue.enqueue(events, this.now());
    this.summary.queued += done.queued;
    this.summary.dropped += done.dropped;
  }

  private database(): string {
    this.databaseId ??= this.options.database();
    return this.databaseId;
  }

  /** hashFile, at most HASH_CONCURRENCY at once. */
  private async hash(path: string, size: number): Promise<string | undefined> {
    while (this.hashing >= HASH_CONCURRENCY) await new Promise<void>((r) => this.waiting.push(r));
    this.hashing++;
    try {
      return await hashFile(path, size);
    } finally {
      this.hashing--;
      this.waiting.shift()?.();
    }
  }
}
