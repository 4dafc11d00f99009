// Which spellings of a server's URL are its server (the activation's credential goes there) and
// which are another server (it gets no secret): issue 16 item 7.
import { describe, expect, it } from 'vitest';
import { isSameServer, normaliseServerUrl } from '../../../src/agent/update/server-origin.js';

describe('server origin comparison', () => {
  it('treats spellings of one server as the same', () => {
    const same: [string, string][] = [
      ['https://cloud.example.com', 'https://cloud.example.com/'],
      ['https://cloud.example.com', 'HTTPS://CLOUD.EXAMPLE.COM'],
      ['https://cloud.example.com', 'https://cloud.example.com:443/'],
      ['http://cloud.example.com', 'http://cloud.example.com:80'],
      ['https://cloud.example.com/vigil', 'https://cloud.example.com/vigil//'],
      ['http://127.0.0.1:4000', 'http://localhost:4000'],
      ['http://127.0.0.1:4000', 'http://[::1]:4000/'],
      ['http://localhost:4000', 'http://127.1:4000'],
    ];
    for (const [a, b] of same) expect(isSameServer(a, b), `${a} ~ ${b}`).toBe(true);
  });

  it('keeps other servers apart', () => {
    const other: [string, string][] = [
      ['https://cloud.example.com', 'http://cloud.example.com'],
      ['https://cloud.example.com', 'https://cloud.example.com:8443'],
      ['https://cloud.example.com', 'https://evil.example.com'],
      ['https://cloud.example.com', 'https://cloud.example.com.evil.example'],
      ['https://cloud.example.com/vigil', 'https://cloud.example.com/other'],
      ['http://127.0.0.1:4000', 'http://localhost:4001'],
      ['http://127.0.0.1:4000', 'http://192.0.2.1:4000'],
      ['https://cloud.example.com', 'not a url'],
    ];
    for (const [a, b] of other) expect(isSameServer(a, b), `${a} !~ ${b}`).toBe(false);
    expect(normaliseServerUrl('ftp://cloud.example.com')).toBeUndefined();
  });
});
