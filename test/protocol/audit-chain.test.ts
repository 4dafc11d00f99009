import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS,
  AUDIT_MAX_LINE_BYTES,
  AuditChainError,
  canonicalJson,
  chainAuditRecord,
  createAuditChainVerifier,
  formatAuditLine,
  hashAuditRecord,
  parseAuditLine,
  verifyAuditJsonLines,
  type AuditChainFailure,
  type AuditRecord,
  type AuditRecordFields,
} from '../../src/protocol/index.js';

function fieldsFor(i: number): AuditRecordFields {
  const kinds = ['policy.decision', 'rule.create', 'token.revoke'];
  return {
    at: new Date(Date.UTC(2024, 8, 29, 4, i)),
    kind: kinds[i % kinds.length]!,
    actor: i % 4 === 3 ? null : `user:${i}`,
    tenant: i % 2 === 0 ? 'acme' : null,
    data: { action: 'update', effect: i % 2 ? 'deny' : 'allow', n: i, note: 'ünïcødé "quoted"\n' },
  };
}

function buildChain(n: number, fields: (i: number) => AuditRecordFields = fieldsFor): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 0; i < n; i++) records.push(chainAuditRecord(records[i - 1] ?? null, fields(i)));
  return records;
}

const linesOf = (records: AuditRecord[]) => records.map(formatAuditLine);
const textOf = (lines: string[]) => `${lines.join('\n')}\n`;
const edit = (line: string, change: (r: Record<string, unknown>) => void) => {
  const r = JSON.parse(line) as Record<string, unknown>;
  change(r);
  return JSON.stringify(r);
};
const failureOf = (text: string, options = {}) => {
  const r = verifyAuditJsonLines(text, options);
  expect(r.ok).toBe(false);
  return r as AuditChainFailure;
};

describe('hashAuditRecord', () => {
  it('hashes the prefix and the canonical JSON of the seven fields (a fixed vector)', () => {
    const r = {
      seq: 1,
      at: '2024-09-29T04:00:00.000Z',
      kind: 'policy.decision',
      actor: 'user:7',
      tenant: 'acme',
      data: { rule: { jurisdiction: 'US', id: 'r-12' }, effect: 'deny', action: 'update' },
      prev: AUDIT_GENESIS,
    };
    const canonical =
      '{"actor":"user:7","at":"2024-09-29T04:00:00.000Z","data":{"action":"update","effect":"deny","rule":{"id":"r-12","jurisdiction":"US"}},' +
      `"kind":"policy.decision","prev":"${AUDIT_GENESIS}","seq":1,"tenant":"acme"}`;
    const expected = createHash('sha256').update(`vigil-audit-v1\n${canonical}`, 'utf8').digest('hex');
    expect(hashAuditRecord(r)).toBe(expected);
    expect(expected).toBe('97dc203da4342da93d5acdd1f145b697003c9ad5f54e1be985744607a676ca09');
    // A hash field present at run time is not hashed.
    expect(hashAuditRecord({ ...r, hash: 'x' } as AuditRecord)).toBe(expected);
  });

  it('refuses a record without data rather than hashing six fields', () => {
    expect(() => hashAuditRecord({ seq: 1, at: '2024-01-01T00:00:00Z', kind: 'k', actor: null, tenant: null, data: undefined, prev: AUDIT_GENESIS })).toThrow(
      /field "data": missing/,
    );
  });
});

describe('chainAuditRecord', () => {
  it('numbers records from 1 and links each to the previous hash', () => {
    const [a, b, c] = buildChain(3);
    expect(a).toMatchObject({ seq: 1, prev: AUDIT_GENESIS, at: '2024-09-29T04:00:00.000Z' });
    expect(b).toMatchObject({ seq: 2, prev: a!.hash });
    expect(c).toMatchObject({ seq: 3, prev: b!.hash });
    expect(c!.hash).toBe(hashAuditRecord(c!));
  });

  it('copies data in its canonical form, so later changes to the caller object do not matter', () => {
    const data = { when: new Date(0), list: [1, { b: 2, a: -0 }] };
    const r = chainAuditRecord(null, { at: '2024-01-01T00:00:00Z', kind: 'rule.create', actor: null, tenant: null, data });
    data.list.push(3);
    expect(r.data).toEqual({ when: '1970-01-01T00:00:00.000Z', list: [1, { a: 0, b: 2 }] });
    expect(verifyAuditJsonLines(formatAuditLine(r))).toEqual({ ok: true, count: 1, head: r.hash });
  });

  it.each([
    ['at', { at: '2024-09-29 04:00' }, /field "at": expected an ISO 8601 UTC time/],
    ['at', { at: '2024-02-30T00:00:00Z' }, /field "at"/],
    ['at', { at: new Date(Number.NaN) }, /field "at": expected an ISO 8601 UTC time .*, found "Invalid Date"/],
    ['kind', { kind: '' }, /field "kind": expected a non-empty string/],
    ['actor', { actor: 7 as unknown as string }, /field "actor": expected a string or null, found 7/],
    ['data', { data: undefined }, /field "data": missing/],
    ['data', { data: { x: Number.NaN } }, /field "data": \$\.x: NaN is not a JSON number/],
  ])('refuses a record that would not verify: bad %s', (_field, change, message) => {
    expect(() => chainAuditRecord(null, { ...fieldsFor(0), ...change })).toThrow(message);
  });

  it(`refuses a record whose line would pass ${AUDIT_MAX_LINE_BYTES} bytes`, () => {
    const err = (() => {
      try {
        chainAuditRecord(null, { ...fieldsFor(0), data: 'x'.repeat(AUDIT_MAX_LINE_BYTES) });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(AuditChainError);
    expect((err as AuditChainError).code).toBe('LINE_TOO_LONG');
  });
});

describe('parseAuditLine', () => {
  const good = formatAuditLine(buildChain(1)[0]!);

  it('returns the record of a well-formed line', () => {
    expect(parseAuditLine(good, 1)).toEqual(JSON.parse(good));
  });

  it.each([
    ['not JSON', 'NOT_JSON', undefined, '{"seq":1,', /^line 4: not a JSON object: /],
    ['an array', 'NOT_JSON', undefined, '[1,2]', /^line 4: not a JSON object: found an array$/],
    ['seq missing', 'MALFORMED', 'seq', edit(good, (r) => delete r.seq), /^line 4: field "seq": missing$/],
    ['seq 0', 'MALFORMED', 'seq', edit(good, (r) => (r.seq = 0)), /field "seq": expected an integer from 1, found 0/],
    ['seq fractional', 'MALFORMED', 'seq', edit(good, (r) => (r.seq = 1.5)), /field "seq"/],
    ['seq as text', 'MALFORMED', 'seq', edit(good, (r) => (r.seq = '1')), /field "seq": expected an integer from 1, found "1"/],
    ['at with an offset', 'MALFORMED', 'at', edit(good, (r) => (r.at = '2024-09-29T06:00:00+02:00')), /field "at"/],
    ['at hour 24', 'MALFORMED', 'at', edit(good, (r) => (r.at = '2024-09-29T24:00:00Z')), /field "at"/],
    ['kind null', 'MALFORMED', 'kind', edit(good, (r) => (r.kind = null)), /field "kind": expected a non-empty string, found null/],
    ['tenant a number', 'MALFORMED', 'tenant', edit(good, (r) => (r.tenant = 3)), /field "tenant"/],
    ['data missing', 'MALFORMED', 'data', edit(good, (r) => delete r.data), /field "data": missing/],
    ['prev short', 'MALFORMED', 'prev', edit(good, (r) => (r.prev = '00')), /field "prev": expected 64 lowercase hex digits, found "00"/],
    ['hash upper case', 'MALFORMED', 'hash', edit(good, (r) => (r.hash = (r.hash as string).toUpperCase())), /field "hash": expected 64 lowercase hex/],
    ['an extra field', 'MALFORMED', 'note', edit(good, (r) => (r.note = 'x')), /field "note": unknown field \(the hash does not cover it\)/],
  ])('rejects %s, naming the line and the field', (_name, code, field, line, message) => {
    let err: unknown;
    try {
      parseAuditLine(line, 4);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditChainError);
    const e = err as AuditChainError;
    expect({ code: e.code, field: e.field, line: e.line }).toEqual({ code, field, line: 4 });
    expect(e.message).toMatch(message);
  });

  it('accepts 0 to 9 fraction digits in at, and leap days', () => {
    for (const at of ['2024-02-29T00:00:00Z', '2024-09-29T04:00:00.123456789Z', '2000-02-29T23:59:59.5Z']) {
      expect(parseAuditLine(edit(good, (r) => (r.at = at)), 1).at).toBe(at);
    }
    expect(() => parseAuditLine(edit(good, (r) => (r.at = '2023-02-29T00:00:00Z')), 1)).toThrow(/field "at"/);
    expect(() => parseAuditLine(edit(good, (r) => (r.at = '1900-02-29T00:00:00Z')), 1)).toThrow(/field "at"/);
  });
});

describe('verifying a chain', () => {
  const records = buildChain(6);
  const lines = linesOf(records);

  it('accepts a chain built by chainAuditRecord, reporting its head', () => {
    expect(verifyAuditJsonLines(textOf(lines))).toEqual({ ok: true, count: 6, head: records[5]!.hash });
  });

  it('accepts an empty log, whose head is the genesis value', () => {
    expect(verifyAuditJsonLines('')).toEqual({ ok: true, count: 0, head: AUDIT_GENESIS });
  });

  it('checks content, not bytes: any key order or spacing, CRLF and blank lines are fine', () => {
    const reordered = records.map((r) => JSON.stringify({ hash: r.hash, data: r.data, seq: r.seq, at: r.at, kind: r.kind, actor: r.actor, tenant: r.tenant, prev: r.prev }, null, 0));
    reordered[2] = ` ${JSON.stringify(JSON.parse(reordered[2]!), null, 1).replace(/\n/g, ' ')} `;
    expect(verifyAuditJsonLines(`\n${reordered.join('\r\n')}\r\n\r\n`)).toMatchObject({ ok: true, count: 6 });
  });

  it('accepts another spelling of the same number, since the hash covers the value', () => {
    const [r] = buildChain(1, () => ({ ...fieldsFor(0), data: { big: 1e21 } }));
    const line = formatAuditLine(r!);
    expect(line).toContain('"big":1e+21');
    expect(verifyAuditJsonLines(line.replace('1e+21', '1E+21'))).toMatchObject({ ok: true, count: 1 });
    expect(failureOf(line.replace('1e+21', '2e+21'))).toMatchObject({ code: 'HASH_MISMATCH' });
  });

  it('detects changed data as a hash mismatch at that record', () => {
    const t = [...lines];
    t[2] = edit(t[2]!, (r) => ((r.data as { effect: string }).effect = 'deny'));
    const f = failureOf(textOf(t));
    expect(f).toMatchObject({ seq: 3, line: 3, code: 'HASH_MISMATCH' });
    expect(f.reason).toMatch(/^hash mismatch: the record was altered \(its content hashes to [0-9a-f]{64}, not to its hash [0-9a-f]{64}\)$/);
  });

  it('detects a changed time as a hash mismatch at that record', () => {
    const t = [...lines];
    t[3] = edit(t[3]!, (r) => (r.at = '2024-09-28T04:03:00.000Z'));
    expect(failureOf(textOf(t))).toMatchObject({ seq: 4, line: 4, code: 'HASH_MISMATCH' });
  });

  it('detects a removed middle record as a seq gap where it was', () => {
    const f = failureOf(textOf([...lines.slice(0, 2), ...lines.slice(3)]));
    expect(f).toMatchObject({ seq: 3, line: 3, code: 'SEQ_GAP' });
    expect(f.reason).toBe('seq gap: found seq 4 where 3 was expected (record 3 was removed, or records were reordered)');
    expect(failureOf(textOf([...lines.slice(0, 1), ...lines.slice(4)])).reason).toMatch(/records 2 to 4 were removed/);
  });

  it('detects a removed first record', () => {
    expect(failureOf(textOf(lines.slice(1)))).toMatchObject({ seq: 1, line: 1, code: 'SEQ_GAP' });
  });

  it('detects two swapped records at the first of them', () => {
    const t = [...lines];
    [t[2], t[3]] = [t[3]!, t[2]!];
    expect(failureOf(textOf(t))).toMatchObject({ seq: 3, line: 3, code: 'SEQ_GAP', reason: expect.stringContaining('found seq 4 where 3') });
  });

  it('detects a forged record with a correct own hash inserted in the middle, at the record after it', () => {
    const forged = chainAuditRecord(records[1]!, { ...fieldsFor(2), data: { action: 'update', effect: 'allow', n: 99 } });
    expect(forged.hash).toBe(hashAuditRecord(forged));
    const f = failureOf(textOf([...lines.slice(0, 2), formatAuditLine(forged), ...lines.slice(2)]));
    expect(f).toMatchObject({ seq: 4, line: 4, code: 'SEQ_REPEAT' });
    expect(f.reason).toMatch(/^seq repeated: found seq 3 again where 4 was expected \(a record was inserted or duplicated before this one/);
  });

  it('detects a forged record that took the place of a real one and was re-hashed, at the record after it', () => {
    const forged = chainAuditRecord(records[1]!, { ...fieldsFor(2), actor: 'user:someone-else' });
    const t = [...lines];
    t[2] = formatAuditLine(forged);
    const f = failureOf(textOf(t));
    expect(f).toMatchObject({ seq: 4, line: 4, code: 'PREV_MISMATCH' });
    expect(f.reason).toBe(
      `prev mismatch: prev is ${records[2]!.hash} but record 3 hashes to ${forged.hash} (a record before this one was removed, inserted, reordered, or altered and re-hashed)`,
    );
  });

  it('detects a first record that does not start from the genesis value', () => {
    const first = { ...records[0]!, prev: 'ab'.repeat(32) };
    const f = failureOf(formatAuditLine({ ...first, hash: hashAuditRecord(first) }));
    expect(f).toMatchObject({ seq: 1, line: 1, code: 'PREV_MISMATCH', reason: expect.stringContaining(`the first record's prev must be the genesis value ${AUDIT_GENESIS}`) });
  });

  it('cannot see a truncated tail alone, but does against an expected head', () => {
    const cut = textOf(lines.slice(0, 4));
    expect(verifyAuditJsonLines(cut)).toEqual({ ok: true, count: 4, head: records[3]!.hash });
    const f = failureOf(cut, { expectHead: { count: 6, hash: records[5]!.hash } });
    expect(f).toMatchObject({ seq: 5, line: 5, code: 'TRUNCATED', reason: 'truncated: the log ends after record 4 but the expected head is record 6' });
    expect(failureOf(cut, { expectHead: { count: 5 } })).toMatchObject({ code: 'TRUNCATED', seq: 5 });
    expect(failureOf(cut, { expectHead: { hash: records[5]!.hash } })).toMatchObject({ code: 'HEAD_MISMATCH', seq: 5, reason: expect.stringContaining('no record hashes to the expected head') });
  });

  it('detects a tail rewritten with fresh hashes against an expected head', () => {
    const rewritten = buildChain(6, (i) => (i < 3 ? fieldsFor(i) : { ...fieldsFor(i), data: 'rewritten' }));
    expect(verifyAuditJsonLines(textOf(linesOf(rewritten)))).toMatchObject({ ok: true, count: 6 });
    const f = failureOf(textOf(linesOf(rewritten)), { expectHead: { count: 6, hash: records[5]!.hash } });
    expect(f).toMatchObject({ seq: 6, line: 6, code: 'HEAD_MISMATCH' });
    expect(f.reason).toBe(`head mismatch: record 6 hashes to ${rewritten[5]!.hash}, not to the expected head ${records[5]!.hash} (the log was rewritten at or before record 6)`);
  });

  it('accepts a log that grew past the expected head', () => {
    const text = textOf(lines);
    expect(verifyAuditJsonLines(text, { expectHead: { count: 4, hash: records[3]!.hash } })).toEqual({ ok: true, count: 6, head: records[5]!.hash });
    expect(verifyAuditJsonLines(text, { expectHead: { hash: records[3]!.hash } })).toMatchObject({ ok: true });
    expect(verifyAuditJsonLines(text, { expectHead: { count: 0, hash: AUDIT_GENESIS } })).toMatchObject({ ok: true });
  });

  it('refuses a meaningless expected head', () => {
    expect(() => createAuditChainVerifier({ expectHead: { hash: 'AB'.repeat(32) } })).toThrow(TypeError);
    expect(() => createAuditChainVerifier({ expectHead: { count: -1 } })).toThrow(TypeError);
    expect(() => createAuditChainVerifier({ expectHead: { count: 0, hash: records[0]!.hash } })).toThrow(TypeError);
  });

  it('reports a malformed line with its field, and a line that is not JSON', () => {
    const t = [...lines];
    t[1] = edit(t[1]!, (r) => (r.prev = 42));
    expect(failureOf(textOf(t))).toMatchObject({ seq: 2, line: 2, code: 'MALFORMED', field: 'prev', reason: 'malformed: field "prev": expected 64 lowercase hex digits, found 42' });
    t[1] = 'hello';
    expect(failureOf(textOf(t))).toMatchObject({ seq: 2, line: 2, code: 'NOT_JSON', reason: expect.stringMatching(/^not a JSON object: /) });
    t[1] = lines[1]!.replace('"note":"', '"note":"\\udead');
    expect(failureOf(textOf(t))).toMatchObject({ seq: 2, line: 2, code: 'MALFORMED', field: 'data', reason: expect.stringContaining('lone UTF-16 surrogate') });
  });

  it('rejects a member name written twice, which JSON.parse would silently resolve', () => {
    const line = lines[1]!;
    const shadowed = line.replace('"data":{', '"data":{"effect":"allow"},"data":{');
    expect(JSON.parse(shadowed)).toEqual(JSON.parse(line));
    expect(failureOf(textOf([lines[0]!, shadowed]))).toMatchObject({ seq: 2, line: 2, code: 'MALFORMED', reason: expect.stringContaining('a member name appears twice') });
    const nested = line.replace('"effect":', '"effect":"x","effect":');
    expect(failureOf(textOf([lines[0]!, nested]))).toMatchObject({ seq: 2, code: 'MALFORMED' });
    expect(() => parseAuditLine(shadowed, 2)).toThrow(/^line 2: a member name appears twice/);
  });

  it('keeps line numbers of the file when blank lines are skipped', () => {
    const t = [lines[0]!, '', '  ', lines[2]!];
    expect(failureOf(t.join('\n'))).toMatchObject({ seq: 2, line: 4, code: 'SEQ_GAP' });
  });
});

describe('createAuditChainVerifier', () => {
  it('takes records as the cloud holds them, counting lines itself when not told', () => {
    const records = buildChain(3);
    const v = createAuditChainVerifier();
    for (const r of records) expect(v.push(r)).toBeNull();
    expect({ count: v.count, head: v.head }).toEqual({ count: 3, head: records[2]!.hash });
    expect(v.finish()).toEqual({ ok: true, count: 3, head: records[2]!.hash });
  });

  it('keeps the first failure and ignores what follows', () => {
    const records = buildChain(4);
    const v = createAuditChainVerifier();
    v.push(records[0]!);
    const first = v.push({ ...records[1]!, kind: 'changed' });
    expect(first).toMatchObject({ seq: 2, line: 2, code: 'HASH_MISMATCH' });
    expect(v.push(records[1]!)).toBe(first);
    expect(v.pushLine('garbage', 9)).toBe(first);
    expect(v.finish()).toBe(first);
  });
});

const fieldsArb = fc.record({
    at: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
    kind: fc.constantFrom('policy.decision', 'rule.create', 'token.revoke', 'account.update'),
    actor: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null }),
    tenant: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null }),
    data: fc.oneof(fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }), fc.jsonValue({ maxDepth: 3 })),
});

describe('property: chains of any data', () => {
  it('verify, written canonically or by JSON.stringify in any member order', () => {
    fc.assert(
      fc.property(fc.array(fieldsArb, { minLength: 1, maxLength: 5 }), (fields) => {
        const records: AuditRecord[] = [];
        for (const f of fields) records.push(chainAuditRecord(records[records.length - 1] ?? null, f));
        const head = records[records.length - 1]!.hash;
        expect(verifyAuditJsonLines(textOf(linesOf(records)))).toEqual({ ok: true, count: records.length, head });
        const plain = records.map((r) => JSON.stringify({ hash: r.hash, seq: r.seq, data: r.data, tenant: r.tenant, at: r.at, kind: r.kind, actor: r.actor, prev: r.prev }));
        expect(verifyAuditJsonLines(textOf(plain))).toEqual({ ok: true, count: records.length, head });
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: a single-byte change to any line', () => {

  it('is detected at that line, rejected as malformed there, or leaves every record as it was', () => {
    fc.assert(
      fc.property(fc.array(fieldsArb, { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (fields, which, where, delta) => {
        const records: AuditRecord[] = [];
        for (const f of fields) records.push(chainAuditRecord(records[records.length - 1] ?? null, f));
        const lines = linesOf(records);
        const index = which % lines.length;
        const bytes = Buffer.from(lines[index]!, 'utf8');
        const at = where % bytes.length;
        bytes[at] = (bytes[at]! + delta) % 256; // always a different byte
        const changed = [...lines];
        changed[index] = new TextDecoder().decode(bytes);
        const result = verifyAuditJsonLines(textOf(changed));
        if (result.ok) {
          // Only an encoding of the same content may pass: `1e+21` as `1E+21`, `\u001f` as `\u001F`,
          // or a digit past a double's precision.
          expect(result.count).toBe(records.length);
          expect(canonicalJson(JSON.parse(changed[index]))).toBe(canonicalJson(records[index]));
        } else {
          // A line break put in place of the first byte leaves a blank line, then the broken rest.
          const blankFirst = at === 0 && (bytes[0] === 0x0a || bytes[0] === 0x0d);
          expect(result).toMatchObject({ line: index + (blankFirst ? 2 : 1), seq: index + 1 });
          expect(['HASH_MISMATCH', 'MALFORMED', 'NOT_JSON']).toContain(result.code);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
