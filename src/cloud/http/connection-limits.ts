/**
 * Connection limits at the socket level, before HTTP parsing: every TCP connection counts against
 * its peer address and against the whole server while it is open. Idle or half-sent requests hold
 * a descriptor each until the header timeout, so without a cap one address could take every
 * descriptor of the process and the next connection, from anyone, would be reset.
 *
 * A connection over a cap is answered at once with a minimal `503` and `Retry-After` and then
 * closed; it never reaches the HTTP parser or a route. Its request is read and discarded for a
 * short while after the answer so that closing does not turn into a reset that drops the answer
 * (RFC 9112 9.6: a server closes its sending side first, then reads until the client closes).
 */
import net from 'node:net';
import type { Server } from 'node:http';

export interface ConnectionLimits {
  /** Connections open at once, from all addresses together. */
  maxConnections: number;
  /** Connections open at once from one peer address (trusted proxies excepted). */
  maxConnectionsPerAddress: number;
  /** The `Retry-After` of a refused connection, in seconds. */
  retryAfterSeconds: number;
  /** Addresses or CIDRs of reverse proxies: they carry many clients, so only `maxConnections` applies to them. */
  trustedProxies: readonly string[];
}

/** How long a refused connection is read after its answer before it is closed, in ms. */
export const REFUSAL_LINGER_MS = 1000;
/** Refused connections kept lingering at once; past this a refusal is closed at once, unanswered. */
export const MAX_LINGERING_REFUSALS = 64;

/** Counts open connections per address and in total, and refuses those over a cap. */
export class ConnectionGate {
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private lingering = 0;
  private readonly proxies: net.BlockList;

  constructor(private readonly limits: ConnectionLimits) {
    this.proxies = buildBlockList(limits.trustedProxies);
  }

  /** Connections admitted and still open. */
  get openConnections(): number {
    return this.total;
  }

  /** Admits the socket (and counts it until it closes), or answers 503 and closes it; true when admitted. */
  admit(socket: net.Socket): boolean {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const fromAddress = this.perAddress.get(address) ?? 0;
    const proxy = this.isProxy(address);
    if (this.total >= this.limits.maxConnections || (!proxy && fromAddress >= this.limits.maxConnectionsPerAddress)) {
      this.refuse(socket);
      return false;
    }
    this.total++;
    this.perAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.total--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    return true;
  }

  private isProxy(address: string): boolean {
    if (this.limits.trustedProxies.length === 0) return false;
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    return this.proxies.check(address, family);
  }

  private refuse(socket: net.Socket): void {
    socket.on('error', () => undefined);
    if (this.lingering >= MAX_LINGERING_REFUSALS) {
      socket.destroy();
      return;
    }
    this.lingering++;
    socket.once('close', () => this.lingering--);
    socket.end(overloadAnswer(this.limits.retryAfterSeconds));
    // Read and drop the request, so the close is a FIN after the answer, not a reset.
    socket.resume();
    socket.once('end', () => socket.destroy());
    socket.setTimeout(REFUSAL_LINGER_MS, () => socket.destroy());
  }
}

/**
 * Puts the gate in front of the HTTP server: node:http parses every connection in its own
 * `connection` listener, so that listener is taken off and called only for admitted sockets.
 */
export function limitConnections(server: Server, limits: ConnectionLimits): ConnectionGate {
  const gate = new ConnectionGate(limits);
  const parsers = server.listeners('connection') as ((socket: net.Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: net.Socket) => {
    if (!gate.admit(socket)) return;
    for (const parse of parsers) parse.call(server, socket);
  });
  return gate;
}

/** The whole answer to a refused connection, in the API's error shape (RFC 9110 15.6.4 and 10.2.3). */
export function overloadAnswer(retryAfterSeconds: number): string {
  const body = JSON.stringify({ error: { code: 'unavailable', message: 'too many connections; retry later', details: [] } });
  return [
    'HTTP/1.1 503 Service Unavailable',
    `Retry-After: ${retryAfterSeconds}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** `::ffff:192.0.2.1` and `192.0.2.1` are one peer. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function buildBlockList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (!net.isIP(address)) continue;
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}
