/** Hex text, as digests travel between the engine, the agent and the cloud. */

const HEX_RE = /^[0-9a-fA-F]*$/;

/** True when `text` is hex digits only (either case), of `length` characters when given. */
export function isHex(text: string, length?: number): boolean {
  return (length === undefined ? text.length % 2 === 0 : text.length === length) && HEX_RE.test(text);
}

/** Decodes hex text that isHex accepted. */
export function hexToBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}
