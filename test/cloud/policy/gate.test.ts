// The one policy gate, on both stores: a gated service needs one call (`check`, `pass` or `run`)
// for any action; the call builds the subject, decides, records the decision in the audit chain,
// and puts it in words (403 message, answer notice, signed notice); identical decisions of a busy
// service are recorded once per window; remembered decisions are restated and forgotten on demand.
import { generateKeyPairSync, verify } from 'node:crypto';
import { expect, it } from 'vitest';
import { verifyStoredAudit, readAllAudit, type Store } from '../../../src/cloud/index.js';
import { HttpError } from '../../../src/cloud/http/http-error.js';
import { ActiveRules, createRule } from '../../../src/cloud/policy/rule-store.js';
import { PolicyGate, buildActivationRequest, type GateRequest, type RuleInput } from '../../../src/cloud/policy/index.js';
import { POLICY_ACTIONS, POLICY_ACTION_WORDS, policyNoticeSignedBytes, publicKeyId, type PolicyAction } from '../../../src/protocol/index.js';
import { describeStores, openTestStore, type StoreKind } from '../harness.js';

const WINDOW_MS = 10 * 60_000;
const SINCE = '2024-09-29T04:00:00.000Z';

function rule(action: PolicyAction, jurisdiction: string, effect: 'deny' | 'notice', from = SINCE): RuleInput {
  return { jurisdiction, applies_to: 'either', action, effect, from, reason: `${effect} ${action} in ${jurisdiction}`, reference: `ref ${action}` };
}

async function startGate(kind: StoreKind, rules: RuleInput[], start = new Date('2024-10-01T12:00:00Z')) {
  const { store } = await openTestStore(kind);
  const clock = { value: start };
  await store.transaction(async (tx) => {
    for (const r of rules) await createRule(tx, r, { name: 'system', now: clock.value });
  });
  const key = generateKeyPairSync('ed25519');
  const gate = new PolicyGate({ store, rules: new ActiveRules(), config: { networkCacheMs: 5_000, networkDecisionRecordMs: WINDOW_MS }, now: () => clock.value, licenseKey: key });
  return { store, clock, key, gate };
}

async function decisionRecords(store: Store): Promise<{ seq: number; actor: string | null; tenant: string | null; data: Record<string, unknown> }[]> {
  const out = [];
  for await (const r of readAllAudit(store)) if (r.kind === 'policy.decision') out.push({ seq: r.seq, actor: r.actor, tenant: r.tenant, data: r.data as Record<string, unknown> });
  return out;
}

const asker = (action: PolicyAction, country: string, extra: Partial<GateRequest> = {}): GateRequest => ({ action, actor: 'user:u1', tenantId: 'ten_1', personCountry: country, ip: '192.0.2.1', ...extra });

describeStores('policy gate', (kind) => {
  it('gates every action with one call: deny is a 403 in words with its record kept, notice runs and says why', async () => {
    const rules = POLICY_ACTIONS.flatMap((a) => [rule(a, 'US', 'deny'), rule(a, 'DE', 'notice')]);
    const { store, gate } = await startGate(kind, rules);
    for (const action of POLICY_ACTIONS) {
      const refused = await gate.check(asker(action, 'US'), `doing ${action}`).then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(HttpError);
      const e = refused as HttpError;
      expect([e.statusCode, e.code]).toEqual([403, 'policy_denied']);
      expect(e.message).toBe(`doing ${action} is not allowed (since ${SINCE}): deny ${action} in US`);
      expect(e.extra['decision']).toMatchObject({ decision: 'deny', action, jurisdiction: 'US', attribute: 'person', since: SINCE });

      const told = await gate.check(asker(action, 'DE'), `doing ${action}`);
      expect(told.decision.decision).toBe('notice');
      expect(told.notice).toEqual({ decision: 'notice', action, jurisdiction: 'DE', attribute: 'person', reason: `notice ${action} in DE`, reference: `ref ${action}`, since: SINCE, rule: told.decision.rule });
      expect(told.auditSeq).toEqual(expect.any(Number));

      const free = await gate.check(asker(action, 'FR'), `doing ${action}`);
      expect([free.decision.decision, free.decision.rule, free.notice]).toEqual(['allow', null, undefined]);
      expect(POLICY_ACTION_WORDS[action].length).toBeGreaterThan(0);
    }
    // Every decision, the denied ones too, is one record of the chain, with who asked and the subject.
    const records = await decisionRecords(store);
    expect(records).toHaveLength(3 * POLICY_ACTIONS.length);
    expect(records[0]).toMatchObject({ actor: 'user:u1', tenant: 'ten_1', data: { action: POLICY_ACTIONS[0], subject: { person: 'US' }, location_source: 'unknown', decision: { decision: 'deny' } } });
    expect(records.map((r) => (r.data['decision'] as { decision: string }).decision)).toEqual(POLICY_ACTIONS.flatMap(() => ['deny', 'notice', 'allow']));
    expect((await verifyStoredAudit(store)).ok).toBe(true);
  });

  it('builds the location from the endpoint or a declared country when the address is unknown', async () => {
    const { gate } = await startGate(kind, [rule('download', 'US', 'deny')]);
    const declared = await gate.pass(asker('download', 'FR', { declaredLocation: 'US', product: 'vigil-home' }));
    expect([declared.decision.decision, declared.decision.attribute, declared.locationSource]).toEqual(['deny', 'location', 'declared']);
    expect(declared.subject).toEqual({ location: 'US', person: 'FR', product: 'vigil-home' });
  });

  it('records identical decisions of a busy service once per window, and every change at once', async () => {
    const { store, clock, gate } = await startGate(kind, [rule('update', 'DE', 'notice')]);
    const who = { activationId: 'act_1', tenantId: 'ten_1', tenantCountry: 'DE', product: 'vigil-home' };
    const ask = () => gate.pass(buildActivationRequest(who, 'update', '192.0.2.1'));
    const first = await ask();
    expect(first.auditSeq).toEqual(expect.any(Number));
    expect((await ask()).auditSeq).toBeNull(); // the same decision within the window
    clock.value = new Date(clock.value.getTime() + WINDOW_MS - 1);
    expect((await ask()).auditSeq).toBeNull();
    clock.value = new Date(clock.value.getTime() + 1);
    expect((await ask()).auditSeq).toEqual(expect.any(Number)); // the window is over
    const moved = await gate.pass(buildActivationRequest({ ...who, tenantCountry: 'FR' }, 'update', '192.0.2.1'));
    expect([moved.decision.decision, moved.auditSeq === null]).toEqual(['allow', false]); // another outcome
    const records = await decisionRecords(store);
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ actor: 'activation:act_1', data: { context: { repeats_within_s: 600 }, decision: { decision: 'notice' } } });
  });

  it('restates a remembered decision at the instant asked, and forgets it when told', async () => {
    const { store, clock, gate } = await startGate(kind, []);
    const who = { activationId: 'act_2', tenantId: 'ten_1', tenantCountry: 'US', product: null };
    const ask = () => gate.pass({ ...buildActivationRequest(who, 'reputation.lookup', '192.0.2.1'), remember: true });
    expect((await ask()).decision.decision).toBe('allow');
    await store.transaction((tx) => createRule(tx, rule('reputation.lookup', 'US', 'deny', '2024-01-01T00:00:00Z'), { name: 'system', now: clock.value }));
    clock.value = new Date(clock.value.getTime() + 1000);
    const remembered = await ask(); // the rule is not seen yet, and an unrecorded allow goes nowhere
    expect([remembered.decision.decision, remembered.auditSeq]).toEqual(['allow', null]);
    gate.invalidate();
    expect((await ask()).decision.decision).toBe('deny');
    clock.value = new Date(clock.value.getTime() + 1000);
    const restated = await ask(); // remembered, not recorded again, but said at this instant
    expect([restated.decision.decision, restated.decision.at, restated.auditSeq]).toEqual(['deny', clock.value.toISOString(), null]);
  });

  it('runs an action behind its decisions: a deny keeps only the record, a failing action rolls the record back', async () => {
    const { store, gate } = await startGate(kind, [rule('license.transfer', 'US', 'deny')]);
    const ran: string[] = [];
    const denied = await gate.run('transferring this license', async () => [asker('license.transfer', 'FR'), asker('license.transfer', 'US')], async () => { ran.push('transfer'); return {}; }).catch((e: unknown) => e);
    expect((denied as HttpError).code).toBe('policy_denied');
    expect(ran).toEqual([]);
    expect(await decisionRecords(store)).toHaveLength(2);
    await expect(gate.run('selling a license', async () => [asker('license.sell', 'FR')], async () => { throw new Error('no stock'); })).rejects.toThrow('no stock');
    expect(await decisionRecords(store)).toHaveLength(2);
    const sold = await gate.run('selling a license', async () => [asker('license.sell', 'FR')], async () => ({ order: 'ord_1' }));
    expect(sold).toEqual({ order: 'ord_1' });
    // A rolled-back record of a busy service is not counted as recorded: the next identical decision is written.
    const busy = asker('telemetry.collect', 'FR', { repeatKey: 'act_9\ntelemetry.collect' });
    await expect(gate.run('collecting telemetry', async () => [busy], async () => { throw new Error('disk full'); })).rejects.toThrow('disk full');
    const seqs: (number | null)[] = [];
    await gate.run('collecting telemetry', async () => [busy], async (_tx, outcomes) => { seqs.push(...outcomes.map((o) => o.auditSeq)); return {}; });
    expect(seqs).toEqual([expect.any(Number)]);
    expect(await decisionRecords(store)).toHaveLength(4);
  });

  it('signs the notice of a deny or notice for the activation it is issued to, and none for an allow', async () => {
    const { clock, gate, key } = await startGate(kind, [rule('update', 'US', 'deny'), rule('update', 'DE', 'notice')]);
    for (const [country, effect] of [['US', 'deny'], ['DE', 'notice']] as const) {
      const who = { activationId: `act_${country}`, tenantId: 'ten_1', tenantCountry: country, product: null };
      const { signedNotice } = await gate.pass({ ...buildActivationRequest(who, 'update', '192.0.2.1'), noticeTo: who.activationId });
      expect(signedNotice).toBeDefined();
      const n = signedNotice!;
      expect(n.payload).toMatchObject({ action: 'update', decision: effect, jurisdiction: country, activation_id: who.activationId, issued_at: clock.value.toISOString() });
      expect(n.payload.what_to_do.length).toBeGreaterThan(20);
      expect(n.key_id).toBe(publicKeyId(key.publicKey));
      expect(verify(null, policyNoticeSignedBytes(n.payload), key.publicKey, Buffer.from(n.signature, 'base64'))).toBe(true);
    }
    const allowed = await gate.pass({ ...buildActivationRequest({ activationId: 'act_FR', tenantId: 'ten_1', tenantCountry: 'FR', product: null }, 'update', '192.0.2.1'), noticeTo: 'act_FR' });
    expect(allowed.signedNotice).toBeUndefined();
  });
});
