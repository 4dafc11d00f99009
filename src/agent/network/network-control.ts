/**
 * What `vigil network enable|disable|status|sync` do, without the printing.
 * - enable: the license must be usable with the `network` entitlement; the consent goes to the
 *   cloud first, and only once the cloud recorded it is it stored here (so the agent never sends
 *   under a consent the cloud does not hold). Stops from an earlier refusal are cleared.
 * - disable: stored here first (from then on nothing is sent), the queue is emptied (counted as
 *   `consent_withdrawn`), then the cloud is told when it can be reached.
 * - status: offline, from the files; `check` also asks the cloud what consent it holds.
 */
import { userInfo } from 'node:os';
import { checkLicense, type LicenseVerdict } from '../license/index.js';
import { readActivation } from '../license/index.js';
import { systemClock, type Clock } from './backoff.js';
import { CONSENT_FORMAT, readConsent, writeConsent, type ConsentCategory, type ConsentRecord } from './consent.js';
import type { QueueStats } from './event-queue.js';
import { networkClientFor, type ConsentAnswer } from './network-client.js';
import { NetworkError } from './network-error.js';
import type { Backoff, LastError, LastSend, NetworkStop } from './network-state.js';
import { networkStoreExists, openNetworkStore, queuePath } from './network-store.js';
import { syncQueue, stopFor, type SyncResult } from './sender.js';

/** How long `vigil network sync` keeps trying by default, in milliseconds. */
export const DEFAULT_SYNC_TIMEOUT_MS = 30_000;
/** The smallest and largest queue bound accepted. */
export const QUEUE_MAX_EVENTS_RANGE = [100, 10_000_000] as const;

interface Common {
  agentDir: string;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Per request, in milliseconds. */
  timeoutMs?: number;
  clock?: Clock;
}

const clientOptions = (o: Common) => ({ ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }) });

function localUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

/** The license verdict for the network; throws when it is not usable. */
function requireNetworkLicense(o: Common, now: Date): LicenseVerdict {
  const verdict = checkLicense(o.agentDir, { now, entitlement: 'network', ...(o.env ? { env: o.env } : {}) });
  if (!verdict.ok) throw new NetworkError(verdict.state === 'not_activated' ? 'NOT_ACTIVATED' : 'LICENSE_UNUSABLE', verdict.message);
  return verdict;
}

export interface EnableRequest extends Common {
  categories: ConsentCategory[];
  /** The queue's bound, kept for every later run. */
  maxEvents?: number;
}

export interface EnableOutcome {
  consent: ConsentRecord;
  cloud: ConsentAnswer;
  /** Queued events of categories no longer consented to, deleted. */
  purged: number;
}

export async function enableNetwork(request: EnableRequest): Promise<EnableOutcome> {
  const clock = request.clock ?? systemClock;
  const verdict = requireNetworkLicense(request, clock.now());
  const client = networkClientFor(request.agentDir, clientOptions(request));
  const categories: ConsentCategory[] = ['detections', ...request.categories.filter((c) => c !== 'detections')];
  const cloud = await client.putConsent({ enabled: true, categories });
  if (!cloud.enabled) throw new NetworkError('BAD_RESPONSE', 'the cloud answered that consent is not enabled');
  const recorded = categories.filter((c) => cloud.categories.includes(c));
  const consent: ConsentRecord = {
    format: CONSENT_FORMAT,
    enabled: true,
    categories: recorded,
    given_at: clock.now().toISOString(),
    cloud_recorded_at: cloud.recorded_at,
    withdrawn_at: null,
    withdrawn_on_cloud: null,
    activation_id: verdict.activation?.activation_id ?? null,
    machine_name: verdict.activation?.machine_name ?? null,
    local_user: localUser(),
  };
  const store = openNetworkStore(request.agentDir);
  let purged = 0;
  try {
    if (request.maxEvents !== undefined) store.state.set('max_events', request.maxEvents);
    store.state.clearStops();
    if (!recorded.includes('unknown-executables')) purged = store.queue.purge('category_withdrawn', ['unknown-executable']);
  } finally {
    store.close();
  }
  writeConsent(request.agentDir, consent);
  return { consent, cloud, purged };
}

export interface DisableOutcome {
  consent: ConsentRecord;
  /** Queued events deleted unsent. */
  purged: number;
  /** The cloud's confirmation; undefined when it could not be told (then `cloudError`) or there is no activation. */
  cloud?: ConsentAnswer;
  cloudError?: NetworkError;
}

export async function disableNetwork(request: Common): Promise<DisableOutcome> {
  const clock = request.clock ?? systemClock;
  let previous: ConsentRecord | undefined;
  try {
    previous = readConsent(request.agentDir);
  } catch {
    previous = undefined; // damaged: replaced by the withdrawal
  }
  const consent: ConsentRecord = {
    format: CONSENT_FORMAT,
    enabled: false,
    categories: [],
    given_at: previous?.given_at ?? null,
    cloud_recorded_at: previous?.cloud_recorded_at ?? null,
    withdrawn_at: clock.now().toISOString(),
    withdrawn_on_cloud: false,
    activation_id: previous?.activation_id ?? null,
    machine_name: previous?.machine_name ?? null,
    local_user: localUser(),
  };
  writeConsent(request.agentDir, consent); // first: from here on nothing is sent
  let purged = 0;
  if (networkStoreExists(request.agentDir)) {
    const store = openNetworkStore(request.agentDir);
    try {
      purged = store.queue.purge('consent_withdrawn');
    } finally {
      store.close();
    }
  }
  let activation;
  try {
    activation = readActivation(request.agentDir);
  } catch {
    activation = undefined;
  }
  if (!activation) return { consent, purged };
  try {
    const cloud = await networkClientFor(request.agentDir, clientOptions(request)).putConsent({ enabled: false, categories: [] });
    consent.withdrawn_on_cloud = true;
    consent.cloud_recorded_at = cloud.recorded_at;
    writeConsent(request.agentDir, consent);
    return { consent, purged, cloud };
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    return { consent, purged, cloudError: e };
  }
}

export interface NetworkStatus {
  consent: ConsentRecord | null;
  license: LicenseVerdict;
  queue: QueueStats | null;
  queueFile: string;
  lastSend: LastSend | null;
  lastError: LastError | null;
  collectStop: NetworkStop | null;
  lookupStop: NetworkStop | null;
  backoff: Backoff | null;
  cache: { hashes: number; malicious: number; buckets: number } | null;
  /** With check: what the cloud holds, or why it could not be asked. */
  cloud?: ConsentAnswer;
  cloudError?: NetworkError;
}

export async function networkStatus(request: Common & { check?: boolean }): Promise<NetworkStatus> {
  const clock = request.clock ?? systemClock;
  const now = clock.now();
  const status: NetworkStatus = {
    consent: readConsent(request.agentDir) ?? null,
    license: checkLicense(request.agentDir, { now, entitlement: 'network', ...(request.env ? { env: request.env } : {}) }),
    queue: null,
    queueFile: queuePath(request.agentDir),
    lastSend: null,
    lastError: null,
    collectStop: null,
    lookupStop: null,
    backoff: null,
    cache: null,
  };
  if (request.check && status.license.activation) {
    try {
      status.cloud = await networkClientFor(request.agentDir, clientOptions(request)).getConsent();
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      status.cloudError = e;
    }
  }
  if (!networkStoreExists(request.agentDir)) {
    if (status.cloudError) {
      const stop = stopFor(status.cloudError, now);
      if (stop) status.collectStop = stop;
    }
    return status;
  }
  const store = openNetworkStore(request.agentDir);
  try {
    if (status.cloud?.enabled) store.state.clearStops(); // the cloud answers again: the stops are lifted
    if (status.cloudError) {
      const stop = stopFor(status.cloudError, now);
      if (stop) store.state.set('collect_stop', stop);
    }
    status.queue = store.queue.stats();
    status.lastSend = store.state.get('last_send') ?? null;
    status.lastError = store.state.get('last_error') ?? null;
    status.collectStop = store.state.get('collect_stop') ?? null;
    status.lookupStop = store.state.get('lookup_stop') ?? null;
    status.backoff = store.state.get('backoff') ?? null;
    status.cache = store.cache.size(now);
  } finally {
    store.close();
  }
  return status;
}

export interface SyncRequest extends Common {
  /** How long to keep trying, in milliseconds. */
  totalTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Sends the queue now, retrying with backoff within the time given. */
export async function syncNetwork(request: SyncRequest): Promise<SyncResult> {
  const clock = request.clock ?? systemClock;
  const consent = readConsent(request.agentDir);
  if (!consent?.enabled) {
    const pending = networkStoreExists(request.agentDir) ? withStore(request.agentDir, (s) => s.queue.pending()) : 0;
    return { outcome: 'not_enabled', sent: 0, batches: 0, duplicates: 0, quarantined: 0, remaining: pending };
  }
  requireNetworkLicense(request, clock.now());
  const client = networkClientFor(request.agentDir, clientOptions(request));
  const store = openNetworkStore(request.agentDir);
  try {
    return await syncQueue({
      agentDir: request.agentDir,
      store,
      client,
      clock,
      deadline: clock.now().getTime() + (request.totalTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS),
      retry: true,
      ...(request.log ? { log: request.log } : {}),
    });
  } finally {
    store.close();
  }
}

function withStore<T>(agentDir: string, work: (s: ReturnType<typeof openNetworkStore>) => T): T {
  const store = openNetworkStore(agentDir);
  try {
    return work(store);
  } finally {
    store.close();
  }
}


