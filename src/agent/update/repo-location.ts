/**
 * Where the update repository is: the cloud (`--server URL`, routes under /v1/updates/), or a mirror
 * of `vigil cloud repo export` (`--mirror REPO`, a folder or the URL of a static server serving one).
 * Both give the same files (protocol/repository-layout.ts); only the base addresses differ.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repositoryUrls, updatesBaseUrl, type RepositoryUrls } from '../../protocol/index.js';
import { UpdateClientError } from './update-error.js';

export interface RepoLocation extends RepositoryUrls {
  kind: 'server' | 'mirror';
  /** What the user gave (a URL or a folder), for messages. */
  location: string;
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
export function serverLocation(server: string): RepoLocation {
  return { kind: 'server', location: server, ...repositoryUrls(updatesBaseUrl(httpBase(server, 'the server'))) };
}

/** An exported repository: a local folder, or an http(s) URL where one is served as is. */
export function mirrorLocation(mirror: string): RepoLocation {
  const base = /^https?:\/\//i.test(mirror) ? httpBase(mirror, 'the mirror') : pathToFileURL(resolve(mirror)).href;
  return { kind: 'mirror', location: mirror, ...repositoryUrls(base) };
}
