/**
 * Whether two spellings of a server's URL name the same server, so that the activation's
 * credential goes to the server the machine was activated with however `--server` spells it, and
 * to no other (docs/update-client.md). Both are parsed with the WHATWG URL API, which lowercases
 * the scheme and the host and drops the scheme's default port (`https://X.example:443/` is
 * `https://x.example`); then a trailing `/` of the path does not matter, and the loopback names are
 * one host: `localhost` and its subdomains (RFC 6761 6.3: they resolve to the loopback), any
 * 127.0.0.0/8 address (RFC 1122 3.2.1.3) and `[::1]` (RFC 4291 2.5.3) all reach this machine.
 * Scheme, port and path must agree: another port or path is another server.
 */

/** The host every loopback spelling compares as. */
const LOOPBACK = 'loopback';

function compareHost(hostname: string): string {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return LOOPBACK;
  if (hostname === '[::1]') return LOOPBACK;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)) return LOOPBACK;
  return hostname;
}

/** The comparable form of a server URL, or undefined when it is not an http(s) URL. */
export function normaliseServerUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = compareHost(url.hostname.replace(/\.$/, ''));
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${host}${url.port === '' ? '' : `:${url.port}`}${path}`;
}

/** True when `a` and `b` name the same server (see the module header). */
export function isSameServer(a: string, b: string): boolean {
  const left = normaliseServerUrl(a);
  return left !== undefined && left === normaliseServerUrl(b);
}
