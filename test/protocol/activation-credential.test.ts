// The activation credential an endpoint sends in its Authorization header, and the cloud reads.
import { describe, expect, it } from 'vitest';
import { ACTIVATION_AUTH_SCHEME, formatActivationAuthorization, parseActivationAuthorization } from '../../src/protocol/index.js';
import { refusal } from './wire-check.js';

const CREDENTIAL = { activationId: 'act_Ab3-_x', secret: 'S3cr3t-_value' };

describe('activation credential', () => {
  it('is "Activation <id>.<secret>", read back as written', () => {
    expect(ACTIVATION_AUTH_SCHEME).toBe('Activation');
    expect(formatActivationAuthorization(CREDENTIAL)).toBe('Activation act_Ab3-_x.S3cr3t-_value');
    expect(parseActivationAuthorization(formatActivationAuthorization(CREDENTIAL))).toEqual(CREDENTIAL);
  });

  it('refuses headers that are not one activation credential', () => {
    const id = CREDENTIAL.activationId;
    for (const header of [
      '',
      'Activation',
      `Activation ${id}`,
      `Activation ${id}.`,
      `Activation ${id}.secret.x`,
      `Bearer ${id}.secret`,
      `activation ${id}.secret`,
      `Activation  ${id}.secret`,
      `Activation ${id}.secret `,
      `Activation act_.secret`,
      `Activation xyz_abc.secret`,
      `Activation act_${'a'.repeat(41)}.secret`,
      `Activation ${id}.${'s'.repeat(101)}`,
      `Activation ${id}.se+cret`,
      `Activation ${id}.secret\r\nX-Injected: 1`,
    ]) {
      expect(refusal(() => parseActivationAuthorization(header)), JSON.stringify(header).slice(0, 60)).toMatchObject({ code: 'BAD_VALUE', field: 'authorization' });
    }
    expect(refusal(() => parseActivationAuthorization(undefined as never)).field).toBe('authorization');
    expect(parseActivationAuthorization(`Activation act_${'a'.repeat(40)}.${'s'.repeat(100)}`).secret).toHaveLength(100);
  });
});
