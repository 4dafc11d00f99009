/**
 * A small stand-in for the cloud's `/v1/network` routes, over real HTTP on 127.0.0.1, for the
 * agent's network tests: it records every request, dedups event batches by batch_id (a retried
 * batch is counted once, the same id with other content is a 409), answers look-ups from a table of
 * known hashes, and can misbehave on demand: be down (closed port), answer 503, reset connections,
 * take a batch and lose the acknowledgement, hang, refuse by policy. Plus an agent folder activated
 * against it (activation.json and a license file signed with the fixtures' vendor key).
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { machineFingerprint } from '../../src/agent/license/index.js';
import { type ConsentRecord, type NetworkEvent } from '../../src/agent/network/index.js';
import { writeActivation, writeLicenseFile } from '../../src/agent/license/license-state.js';
import { signLicenseFile } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/cli.js';
import { activationRecord, licensePayload, machineIdFile, vendor } from './license-fixtures.js';

export const ACTIVATION_ID = 'act_fake1';
export const SECRET = 'fake-secret-1';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
  raw: string;
}

/** How the fake answers the next requests. */
export type Mode =
  | 'ok'
  | 'unavailable' // 503 with Retry-After: 0
  | 'reset' // the connection is destroyed before any answer
  | 'lose-ack' // events: the batch is taken, then the connection is destroyed (the agent never hears)
  | 'hang' // no answer at all
  | 'policy_denied'
  | 'consent_required'
  | 'not_entitled'
  | 'rate_limited'; // 429 with Retry-After: 7

export const DENY_DECISION = {
  decision: 'deny',
  action: 'telemetry.collect',
  reason: 'No operation of the security network for US persons or in the United States.',
  reference: 'U.S. Department of Commerce, Final Determination of 2024-06-20',
  since: '2024-09-29T04:00:00.000Z',
  jurisdiction: 'US',
  attribute: 'location',
};

export interface FakeCloud {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Events taken, in order, each once (batches deduplicated by id). */
  accepted: NetworkEvent[];
  /** Batch ids seen, with how many times each arrived. */
  batchArrivals: Map<string, number>;
  consent: { enabled: boolean; categories: string[]; recorded_at: string } | null;
  /** sha256 -> verdict, for look-ups. */
  known: Map<string, { verdict: 'malicious' | 'clean'; source: string; detection_names: string[] }>;
  cacheSeconds: number;
  mode: Mode;
  /** Per route: answer in this mode instead (takes precedence over `mode`). */
  routeMode: Partial<Record<'consent' | 'events' | 'lookups', Mode>>;
  /** Called when a batch arrives, after it is taken (or refused) and before it is answered. */
  onBatch?: (batchId: string, count: number) => void | Promise<void>;
  /** Closes the port (the cloud is down); start() opens it again on the same port. */
  stop: () => Promise<void>;
  start: () => Promise<void>;
  close: () => Promise<void>;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const error = (code: string, message: string, extra: Record<string, unknown> = {}) => ({ error: { code, message, details: [], ...extra } });

export async function startFakeCloud(): Promise<FakeCloud> {
  const sockets = new Set<Socket>();
  const batches = new Map<string, string>(); // id -> canonical content
  const cloud: FakeCloud = {
    url: '',
    port: 0,
    requests: [],
    accepted: [],
    batchArrivals: new Map(),
    consent: null,
    known: new Map(),
    cacheSeconds: 3600,
    mode: 'ok',
    routeMode: {},
    stop: async () => {},
    start: async () => {},
    close: async () => {},
  };

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const path = (req.url ?? '').split('?')[0]!;
    cloud.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body, raw });
    const route = path === '/v1/network/consent' ? 'consent' : path === '/v1/network/events' ? 'events' : path === '/v1/network/lookups' ? 'lookups' : undefined;
    if (!route) {
      json(res, 404, error('not_found', `no route ${req.method ?? ''} ${path}`));
      return;
    }
    if (req.headers.authorization !== `Activation ${ACTIVATION_ID}.${SECRET}`) {
      json(res, 401, error('unauthenticated', 'the activation is unknown'));
      return;
    }
    const mode = cloud.routeMode[route] ?? cloud.mode;
    switch (mode) {
      case 'unavailable':
        json(res, 503, error('unavailable', 'down for maintenance'), { 'retry-after': '0' });
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return; // never answered
      case 'policy_denied':
        json(res, 403, error('policy_denied', 'a jurisdiction rule stops this', { decision: DENY_DECISION }));
        return;
      case 'consent_required':
        json(res, 403, error('consent_required', 'no consent is recorded for this activation'));
        return;
      case 'not_entitled':
        json(res, 403, error('not_entitled', 'this license does not include the network entitlement'));
        return;
      case 'rate_limited':
        json(res, 429, error('rate_limited', 'slow down'), { 'retry-after': '7' });
        return;
      default:
    }
    const b = body as Record<string, unknown>;
    if (route === 'consent') {
      if (req.method === 'GET') {
        json(res, 200, cloud.consent ?? { enabled: false, categories: [], recorded_at: new Date().toISOString() });
        return;
      }
      cloud.consent = { enabled: b['enabled'] as boolean, categories: b['categories'] as string[], recorded_at: new Date().toISOString() };
      json(res, 200, cloud.consent);
      return;
    }
    if (route === 'events') {
      if (!cloud.consent?.enabled) {
        json(res, 403, error('consent_required', 'no consent is recorded for this activation'));
        return;
      }
      const id = b['batch_id'] as string;
      const events = b['events'] as NetworkEvent[];
      cloud.batchArrivals.set(id, (cloud.batchArrivals.get(id) ?? 0) + 1);
      const content = createHash('sha256').update(JSON.stringify(events)).digest('hex');
      const seen = batches.get(id);
      let answer: { status: number; body: unknown };
      if (seen === undefined) {
        batches.set(id, content);
        cloud.accepted.push(...events);
        answer = { status: 200, body: { batch_id: id, accepted: events.length, duplicate: false } };
      } else if (seen === content) answer = { status: 200, body: { batch_id: id, accepted: events.length, duplicate: true } };
      else answer = { status: 409, body: error('conflict', 'this batch id was used with other content') };
      await cloud.onBatch?.(id, events.length);
      if ((cloud.routeMode.events ?? cloud.mode) === 'lose-ack') {
        req.socket.destroy(); // taken, never acknowledged
        return;
      }
      json(res, answer.status, answer.body);
      return;
    }
    const prefixes = b['prefixes'] as string[];
    const results = prefixes.map((prefix) => ({
      prefix,
      hashes: [...cloud.known.entries()].filter(([sha]) => sha.startsWith(prefix)).map(([sha256, v]) => ({ sha256, ...v })),
    }));
    json(res, 200, { cache_seconds: cloud.cacheSeconds, results });
  };

  const server = http.createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      json(res, 500, error('internal', String(e)));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  await listen(0);
  cloud.port = (server.address() as AddressInfo).port;
  cloud.url = `http://127.0.0.1:${cloud.port}`;
  let listening = true;
  cloud.stop = async () => {
    if (!listening) return;
    listening = false;
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  };
  cloud.start = async () => {
    if (listening) return;
    await listen(cloud.port);
    listening = true;
  };
  cloud.close = cloud.stop;
  return cloud;
}

/** A machine-id file and an agent folder activated against `server`, with a license valid now that includes `network`. */
export function activatedAgent(server: string, options: { entitlements?: string[] } = {}): { agentDir: string; env: NodeJS.ProcessEnv; root: string; cleanup: () => void } {
  const d = tempDir('vigil-net-');
  const id = randomBytes(16).toString('hex');
  const idFile = machineIdFile(d.path, id);
  const fingerprint = machineFingerprint({ machineIdFiles: [idFile] }).fingerprint;
  const agentDir = join(d.path, 'agent');
  const now = Date.now();
  writeActivation(agentDir, activationRecord({ server, activation_id: ACTIVATION_ID, secret: SECRET }));
  writeLicenseFile(
    agentDir,
    signLicenseFile(
      licensePayload({
        activation_id: ACTIVATION_ID,
        machine: fingerprint,
        entitlements: options.entitlements ?? ['network', 'updates'],
        valid_from: new Date(now - 86_400_000).toISOString(),
        valid_until: new Date(now + 29 * 86_400_000).toISOString(),
        issued_at: new Date(now - 86_400_000).toISOString(),
        license_expires_at: new Date(now + 365 * 86_400_000).toISOString(),
        grace_until: new Date(now + 379 * 86_400_000).toISOString(),
      }),
      vendor.privateKey,
    ),
  );
  return { agentDir, env: { VIGIL_MACHINE_ID_FILE: idFile }, root: d.path, cleanup: d.cleanup };
}

/** A detection event of a made-up file (`n` makes it unique). */
export function sampleEvent(n: number, kind: NetworkEvent['kind'] = 'detection'): NetworkEvent {
  return {
    kind,
    sha256: createHash('sha256').update(`sample ${n}`).digest('hex'),
    size: 1000 + n,
    file_type: kind === 'detection' ? 'text' : 'pe',
    detection: kind === 'detection' ? 'Win.Test.EICAR_HDB-1' : null,
    engine: '0.1.0',
    database: 'sha256:0123456789abcdef',
    seen_at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  };
}

/** consent.json of a machine that opted in to both categories. */
export const CONSENT: ConsentRecord = {
  format: 'vigil-network-consent-v1',
  enabled: true,
  categories: ['detections', 'unknown-executables'],
  given_at: '2025-01-01T00:00:00.000Z',
  cloud_recorded_at: '2025-01-01T00:00:00.000Z',
  withdrawn_at: null,
  withdrawn_on_cloud: null,
  activation_id: ACTIVATION_ID,
  machine_name: 'laptop',
  local_user: 'test',
};
