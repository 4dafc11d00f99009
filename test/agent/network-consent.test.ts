// Consent on the agent against a fake cloud: enable needs a usable license with the `network`
// entitlement and is stored here only after the cloud recorded it; disable is stored here first,
// empties the queue and tells the cloud when it can; status is offline unless asked to check.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { consentPath, disableNetwork, enableNetwork, NetworkError, networkStatus, openNetworkStore, readConsent } from '../../src/agent/network/index.js';
import { activatedAgent, ACTIVATION_ID, DENY_DECISION, sampleEvent, startFakeCloud, type FakeCloud } from './network-fake-cloud.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(entitlements?: string[]) {
  const cloud = await startFakeCloud();
  cleanups.push(() => cloud.close());
  const agent = activatedAgent(cloud.url, entitlements ? { entitlements } : {});
  cleanups.push(agent.cleanup);
  return { cloud, ...agent };
}

async function refusal(work: Promise<unknown>): Promise<NetworkError> {
  try {
    await work;
  } catch (e) {
    expect(e).toBeInstanceOf(NetworkError);
    return e as NetworkError;
  }
  throw new Error('expected a NetworkError');
}

const consentRequests = (cloud: FakeCloud) => cloud.requests.filter((r) => r.path === '/v1/network/consent');

describe('network consent', () => {
  it('records consent on the cloud first, then here, with who, when and which categories', async () => {
    const { cloud, agentDir, env } = await setup();
    let seenLocally: boolean | undefined;
    const done = await enableNetwork({
      agentDir,
      env,
      categories: ['detections', 'unknown-executables'],
      fetch: async (input, init) => {
        seenLocally = existsSync(consentPath(agentDir));
        return fetch(input, init);
      },
    });
    expect(seenLocally).toBe(false); // nothing stored before the cloud answered
    expect(consentRequests(cloud).map((r) => [r.method, r.body])).toEqual([['PUT', { enabled: true, categories: ['detections', 'unknown-executables'] }]]);
    expect(done.consent).toMatchObject({ enabled: true, categories: ['detections', 'unknown-executables'], activation_id: ACTIVATION_ID, machine_name: 'laptop', withdrawn_at: null, cloud_recorded_at: cloud.consent!.recorded_at });
    expect(readConsent(agentDir)).toEqual(done.consent);
    expect(statSync(consentPath(agentDir)).mode & 0o777).toBe(0o600);
    expect(statSync(join(agentDir, 'network')).mode & 0o777).toBe(0o700);
  });

  it('refuses without a usable license or the network entitlement, sending nothing', async () => {
    const { cloud, agentDir, env } = await setup(['updates']);
    const e = await refusal(enableNetwork({ agentDir, env, categories: [] }));
    expect(e.code).toBe('LICENSE_UNUSABLE');
    expect(e.message).toContain('network');
    const nowhere = await refusal(enableNetwork({ agentDir: join(agentDir, 'elsewhere'), env, categories: [] }));
    expect(nowhere.code).toBe('NOT_ACTIVATED');
    expect(cloud.requests).toHaveLength(0);
    expect(existsSync(consentPath(agentDir))).toBe(false);
  });

  it('stores nothing when the cloud refuses by policy or cannot be reached', async () => {
    const { cloud, agentDir, env } = await setup();
    cloud.routeMode.consent = 'policy_denied';
    const denied = await refusal(enableNetwork({ agentDir, env, categories: [] }));
    expect(denied.code).toBe('POLICY_DENIED');
    expect(denied.server?.decision).toMatchObject({ decision: 'deny', reason: DENY_DECISION.reason });
    await cloud.stop();
    expect((await refusal(enableNetwork({ agentDir, env, categories: [] }))).code).toBe('UNREACHABLE');
    expect(existsSync(consentPath(agentDir))).toBe(false);
  });

  it('withdraws here first, empties the queue, and tells the cloud when it can', async () => {
    const { cloud, agentDir, env } = await setup();
    await enableNetwork({ agentDir, env, categories: ['detections'] });
    const store = openNetworkStore(agentDir);
    store.queue.enqueue([sampleEvent(1), sampleEvent(2)]);
    store.close();
    await cloud.stop();
    const offline = await disableNetwork({ agentDir, env, timeoutMs: 1000 });
    expect(offline).toMatchObject({ purged: 2, consent: { enabled: false, categories: [], withdrawn_on_cloud: false } });
    expect(offline.cloudError?.code).toBe('UNREACHABLE');
    expect(readConsent(agentDir)).toMatchObject({ enabled: false, withdrawn_on_cloud: false });
    const status = await networkStatus({ agentDir, env });
    expect(status.queue).toMatchObject({ events: 0, dropped: { consent_withdrawn: 2 } });

    await cloud.start();
    const online = await disableNetwork({ agentDir, env });
    expect(online.cloud).toMatchObject({ enabled: false, categories: [] });
    expect(readConsent(agentDir)).toMatchObject({ enabled: false, withdrawn_on_cloud: true });
    expect(cloud.consent).toMatchObject({ enabled: false });
    expect(JSON.parse(readFileSync(consentPath(agentDir), 'utf8')).given_at).not.toBeNull(); // the history of the choice stays
  });

  it('clears stops when consent is given again, and drops queued unknown executables it no longer covers', async () => {
    const { agentDir, env } = await setup();
    await enableNetwork({ agentDir, env, categories: ['unknown-executables'] });
    const store = openNetworkStore(agentDir);
    store.queue.enqueue([sampleEvent(1), sampleEvent(2, 'unknown-executable')]);
    store.state.set('collect_stop', { reason: 'policy_denied', message: 'no', at: new Date().toISOString(), announced: true });
    store.close();
    const again = await enableNetwork({ agentDir, env, categories: [] });
    expect(again.purged).toBe(1);
    const status = await networkStatus({ agentDir, env });
    expect(status.collectStop).toBeNull();
    expect(status.queue).toMatchObject({ events: 1, dropped: { category_withdrawn: 1 } });
    expect(status.consent?.categories).toEqual(['detections']);
  });

  it('shows status offline, and with check asks the cloud and lifts a stop when it answers', async () => {
    const { cloud, agentDir, env } = await setup();
    const never = await networkStatus({ agentDir, env });
    expect(never).toMatchObject({ consent: null, queue: null, license: { ok: true } });
    expect(existsSync(join(agentDir, 'network'))).toBe(false); // status creates nothing
    await enableNetwork({ agentDir, env, categories: [] });
    const store = openNetworkStore(agentDir);
    store.state.set('lookup_stop', { reason: 'policy_denied', message: 'no', at: new Date().toISOString(), announced: true });
    store.close();
    const requests = cloud.requests.length;
    expect((await networkStatus({ agentDir, env })).lookupStop?.reason).toBe('policy_denied');
    expect(cloud.requests).toHaveLength(requests);
    const checked = await networkStatus({ agentDir, env, check: true });
    expect(checked.cloud).toMatchObject({ enabled: true, categories: ['detections'] });
    expect(checked.lookupStop).toBeNull();
    cloud.routeMode.consent = 'policy_denied';
    const denied = await networkStatus({ agentDir, env, check: true });
    expect(denied.collectStop?.reason).toBe('policy_denied');
  });
});
