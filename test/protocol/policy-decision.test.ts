// The policy decision on the wire (one type, one parser) and the signed notice's contract, shared
// by the cloud, which sends and signs them, and the agent, which reads and verifies them.
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  POLICY_ACTIONS,
  POLICY_ACTION_WORDS,
  POLICY_NOTICE_FORMAT,
  POLICY_NOTICE_SIGNATURE_PREFIX,
  POLICY_NOTICES_MAX,
  buildPolicyNoticePayload,
  canonicalJson,
  describeAction,
  isPolicyAction,
  policyNoticeSignedBytes,
  publicKeyId,
  readPolicyDecision,
  readPolicyNotices,
  signPolicyNotice,
  type PolicyDecision,
  type WireText,
} from '../../src/protocol/index.js';

const asIs: WireText = (value, max) => (typeof value === 'string' ? value.slice(0, max ?? 4000) : undefined);

const DENY: PolicyDecision = {
  decision: 'deny',
  action: 'update',
  at: '2024-10-01T12:00:00.000Z',
  rule: { id: 'r3', version: 2 },
  attribute: 'person',
  jurisdiction: 'US',
  reason: 'No updates for US persons.',
  reference: 'Final Determination 2024-06-20',
  since: '2024-09-29T04:00:00.000Z',
};

describe('policy decision on the wire', () => {
  it('reads back what the cloud sends, member by member', () => {
    const read = readPolicyDecision(JSON.parse(JSON.stringify(DENY)), asIs);
    expect(read).toEqual({ decision: 'deny', action: 'update', rule: { id: 'r3', version: 2 }, attribute: 'person', jurisdiction: 'US', reason: DENY.reason, reference: DENY.reference, since: DENY.since });
  });

  it('keeps what is readable of a decision that says less or something odd, and refuses what is none', () => {
    expect(readPolicyDecision({ decision: 'notice' }, asIs)).toEqual({ decision: 'notice' });
    expect(readPolicyDecision({ decision: 'deny', action: 7, reason: '  ', rule: 'r1', attribute: 'planet', jurisdiction: null }, asIs)).toEqual({ decision: 'deny' });
    expect(readPolicyDecision({ decision: 'deny', rule: { id: 'r1', version: '1' } }, asIs)).toEqual({ decision: 'deny' });
    expect(readPolicyDecision({ decision: 'deny', action: 'intel.future' }, asIs)).toEqual({ decision: 'deny', action: 'intel.future' });
    for (const none of [null, undefined, 'deny', [DENY], {}, { decision: 'maybe' }, { decision: 'toString' }]) expect(readPolicyDecision(none, asIs)).toBeUndefined();
  });

  it("puts every text through the reader's cleaning, with a length per member", () => {
    const seen: (number | undefined)[] = [];
    const clean: WireText = (value, max) => {
      seen.push(max);
      return typeof value === 'string' ? value.toUpperCase() : undefined;
    };
    expect(readPolicyDecision({ ...DENY }, clean)).toMatchObject({ action: 'UPDATE', reason: 'NO UPDATES FOR US PERSONS.', rule: { id: 'R3' } });
    expect(seen).toEqual([100, undefined, undefined, 100, 20, 100]);
  });

  it('lists only the notices of an answer, at most POLICY_NOTICES_MAX', () => {
    const notice = { ...DENY, decision: 'notice' };
    expect(readPolicyNotices([notice, DENY, 'x', null], asIs)).toEqual([expect.objectContaining({ decision: 'notice', action: 'update' })]);
    expect(readPolicyNotices(Array.from({ length: 50 }, () => notice), asIs)).toHaveLength(POLICY_NOTICES_MAX);
    expect(readPolicyNotices({ 0: notice }, asIs)).toEqual([]);
  });

  it('has words for every action, and falls back for one it does not know', () => {
    for (const action of POLICY_ACTIONS) {
      expect(isPolicyAction(action)).toBe(true);
      expect(describeAction(action, 'x')).toBe(POLICY_ACTION_WORDS[action]);
    }
    expect(Object.keys(POLICY_ACTION_WORDS).sort()).toEqual([...POLICY_ACTIONS].sort());
    expect(describeAction('training.enroll', 'security training')).toBe('security training');
    expect(describeAction('constructor', 'something')).toBe('something');
    expect(describeAction(undefined, 'something')).toBe('something');
  });
});

describe('signed policy notice', () => {
  it('signs the prefix and the canonical payload with the vendor key, naming the key and the activation', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const payload = buildPolicyNoticePayload({ ...DENY, decision: 'deny' }, 'Keep scanning.', 'act_1', new Date('2024-10-01T12:00:00Z'));
    expect(payload).toEqual({ action: 'update', decision: 'deny', rule: DENY.rule, jurisdiction: 'US', attribute: 'person', since: DENY.since, reason: DENY.reason, reference: DENY.reference, what_to_do: 'Keep scanning.', activation_id: 'act_1', issued_at: '2024-10-01T12:00:00.000Z' });
    expect(policyNoticeSignedBytes(payload).toString('utf8')).toBe(`${POLICY_NOTICE_SIGNATURE_PREFIX}${canonicalJson(payload)}`);
    const notice = signPolicyNotice(payload, privateKey);
    expect([notice.format, notice.key_id]).toEqual([POLICY_NOTICE_FORMAT, publicKeyId(publicKey)]);
    expect(verify(null, policyNoticeSignedBytes(notice.payload), publicKey, Buffer.from(notice.signature, 'base64'))).toBe(true);
    expect(verify(null, policyNoticeSignedBytes({ ...notice.payload, activation_id: 'act_2' }), publicKey, Buffer.from(notice.signature, 'base64'))).toBe(false);
    expect(readPolicyDecision(notice.payload, asIs)).toMatchObject({ decision: 'deny', action: 'update', since: DENY.since });
  });

  it('leaves out what a decision does not say', () => {
    const bare = buildPolicyNoticePayload({ decision: 'notice', action: 'download', at: DENY.at, rule: null, attribute: null, jurisdiction: null }, 'Read on.', 'act_1', new Date(0));
    expect([bare.since, bare.reason, bare.reference, bare.rule]).toEqual([null, null, null, null]);
  });
});
