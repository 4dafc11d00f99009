// For the tests of the wire contracts: what a parser throws, as code and field.
import { expect } from 'vitest';
import { WireFormatError, type WireFormatErrorCode } from '../../src/protocol/index.js';

export function refusal(f: () => unknown): { code: WireFormatErrorCode; field: string; reason: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WireFormatError);
    const w = e as WireFormatError;
    expect(w.message).toBe(`${w.field}: ${w.reason}`);
    return { code: w.code, field: w.field, reason: w.reason };
  }
  throw new Error('expected a WireFormatError, nothing was thrown');
}
