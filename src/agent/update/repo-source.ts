/**
 * Where the update repository is: the cloud (`--server URL`, routes under /v1/updates/), or a mirror
 * of `vigil cloud repo export` (`--mirror REPO`, a folder or the URL of a static server serving one).
 * Both give the same files; only the base addresses differ.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UpdateClientError } from './update-error.js';

export interface RepoSource {
  kind: 'server' | 'mirror';
  /** What the user gave (a URL or a folder), for messages. */
  location: string;
  metadataBaseUrl: string;
  targetBaseUrl: string;
  /** The log's files: `<logBaseUrl>/checkpoint`, `<logBaseUrl>/tile/...`. */
  logBaseUrl: string;
}

function httpBase(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UpdateClientError('BAD_ARGUMENT', `${what} ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UpdateClientError('BAD_ARGUMENT', `${what} must be an http or https URL, not ${url.protocol}`);
  if (url.search || url.hash) throw new UpdateClientError('BAD_ARGUMENT', `${what} must not have a query or a fragment`);
  return url.href.replace(/\/+$/, '');
}

/** The cloud's update routes (docs/updates.md, "The repository over HTTP"). */
export function serverSource(server: string): RepoSource {
  const base = `${httpBase(server, 'the server')}/v1/updates`;
  return { kind: 'server', location: server, metadataBaseUrl: `${base}/metadata`, targetBaseUrl: `${base}/targets`, logBaseUrl: `${base}/log` };
}

/** An exported repository: a local folder, or an http(s) URL where one is served as is. */
export function mirrorSource(mirror: string): RepoSource {
  const base = /^https?:\/\//i.test(mirror) ? httpBase(mirror, 'the mirror') : pathToFileURL(resolve(mirror)).href.replace(/\/+$/, '');
  return { kind: 'mirror', location: mirror, metadataBaseUrl: `${base}/metadata`, targetBaseUrl: `${base}/targets`, logBaseUrl: `${base}/log` };
}
