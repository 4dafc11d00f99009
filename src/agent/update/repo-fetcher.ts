/**
 * How tuf-js (and the log check) read the repository: a tuf-js Fetcher for http(s) URLs and for
 * file URLs (a mirror folder), which
 * - streams with tuf-js's length cap (BaseFetcher.downloadFile refuses a byte past the length the
 *   metadata declares: "endless data", TUF 5.7.2 / 5.4.1 limits),
 * - reports download progress,
 * - turns a 403 `policy_denied` answer into POLICY_DENIED with the decision, a 403 `not_entitled`
 *   into NOT_ENTITLED and a 401 to the activation into LICENSE_REFUSED (each kept in `refusal`
 *   too, since tuf-js rewraps some errors as text),
 * - answers a missing file as tuf-js expects (DownloadHTTPError 404: no newer root version),
 * - sends the activation credential when given one (the vendor's server only; redirects are then
 *   not followed, so the secret never goes to another address), and collects the signed policy
 *   notices of the answers (policy-notice.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { readCappedText, readRefusal, transportFailure } from '../cloud-answer.js';
import { describeAction } from '../policy-decision.js';
import { POLICY_NOTICE_HEADER, readNoticeHeader, readPolicyNotice, type NoticeTrust, type PolicyNotice } from './policy-notice.js';
import { UpdateClientError } from './update-error.js';

/** The longest error answer read, to find a policy decision in it (bytes). */
export const ERROR_ANSWER_MAX_BYTES = 64 * 1024;
/** How long one request may take, body included (ms): metadata and log files are small. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long the download of one target may take (ms): an image is up to 1 GiB. */
export const TARGET_TIMEOUT_MS = 10 * 60_000;

export interface DownloadProgress {
  /** The file's name (the last part of its address). */
  name: string;
  received: number;
  /** The length the metadata declares (an upper bound). */
  total: number;
  done: boolean;
}

export interface RepoFetcherOptions {
  onProgress?: (progress: DownloadProgress) => void;
  userAgent?: string;
  /** `Authorization: Activation <id>.<secret>`, sent with every http(s) request (server sources only). */
  authorization?: string;
  /** Verifies the policy notices of the answers; without it they are reported as unverifiable. */
  noticeTrust?: NoticeTrust;
}

type ByteStream = ReadableStream<Uint8Array<ArrayBuffer>>;

export class RepoFetcher extends BaseFetcher {
  /** The policy refusal met by any fetch, if one was. */
  policyRefusal: UpdateClientError | undefined;
  /** The server's refusal of this machine met by any fetch (policy, license or entitlement), if one was. */
  refusal: UpdateClientError | undefined;
  /** The last failure of ours a fetch threw (tuf-js rewraps some as text). */
  lastFailure: UpdateClientError | undefined;
  /** The notices delivered files came with (a `notice` decision), one per distinct notice. */
  readonly notices: PolicyNotice[] = [];
  private readonly noticeKeys = new Set<string>();
  private readonly expected = new Map<string, number>();

  constructor(private readonly options: RepoFetcherOptions = {}) {
    super();
  }

  override async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    this.expected.set(url, maxLength);
    try {
      return await super.downloadFile(url, maxLength, handler);
    } finally {
      this.expected.delete(url);
    }
  }

  async fetch(url: string): Promise<ByteStream> {
    let stream: ByteStream;
    try {
      stream = url.startsWith('file:') ? await openFile(url) : await this.fetchHttp(url);
    } catch (e) {
      if (e instanceof UpdateClientError) this.lastFailure = e;
      throw e;
    }
    const total = this.expected.get(url);
    const onProgress = this.options.onProgress;
    if (onProgress === undefined || total === undefined) return stream;
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? url);
    let received = 0;
    return stream.pipeThrough(
      new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
        transform(chunk, controller) {
          received += chunk.length;
          onProgress({ name, received, total, done: false });
          controller.enqueue(chunk);
        },
        flush() {
          onProgress({ name, received, total, done: true });
        },
      }),
    );
  }

  /** A small file of the log (checkpoint, tile, bundle), or undefined when it does not exist. */
  async readBytes(url: string, maxBytes: number): Promise<Uint8Array | undefined> {
    try {
      return await this.downloadBytes(url, maxBytes);
    } catch (e) {
      if (e instanceof DownloadHTTPError && e.statusCode === 404) return undefined;
      if (e instanceof UpdateClientError) throw e;
      throw new UpdateClientError('FETCH_FAILED', `cannot read ${url}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async fetchHttp(url: string): Promise<ByteStream> {
    const timeout = url.includes('/targets/') ? TARGET_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
    let response: Response;
    try {
      const authorization = this.options.authorization;
      response = await fetch(url, {
        signal: AbortSignal.timeout(timeout),
        headers: { ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}), ...(authorization ? { authorization } : {}) },
        ...(authorization ? { redirect: 'manual' as const } : {}),
      });
    } catch (e) {
      const failure = transportFailure(e, new URL(url));
      if (failure.timeout) throw new UpdateClientError('TIMEOUT', `no answer from ${url} within ${timeout / 1000} s`, { cause: e });
      throw new UpdateClientError('UNREACHABLE', `cannot reach ${new URL(url).origin}: ${failure.why}`, { cause: e });
    }
    if (this.options.authorization && response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpdateClientError('FETCH_FAILED', `${url} answered HTTP ${response.status} (a redirect): with this machine's activation, Vigil does not follow redirects, so its secret goes to no other address; give the address it redirects to as --server`);
    }
    if (this.options.authorization && response.status === 401) {
      await response.body?.cancel().catch(() => undefined);
      this.refusal = new UpdateClientError('LICENSE_REFUSED', `the server refused this machine's activation (HTTP 401): it was deactivated, or its license was revoked, ended or suspended, so this machine gets no updates from it; it keeps scanning with the database it has installed; see "vigil license status", or "vigil license refresh"`);
      throw this.refusal;
    }
    if (response.status === 403) {
      const text = await readCappedText(response, ERROR_ANSWER_MAX_BYTES, (why) => new UpdateClientError('FETCH_FAILED', why)).catch(() => '');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const refusal = readRefusal(response, parsed);
      if (refusal.code === 'policy_denied') {
        const what = describeAction(refusal.decision?.action, 'signature updates');
        const notice = readPolicyNotice((parsed as { error?: { notice?: unknown } } | undefined)?.error?.notice, this.options.noticeTrust);
        this.policyRefusal = new UpdateClientError('POLICY_DENIED', `the vendor's policy stops ${what} here: ${refusal.message}`, { ...(refusal.decision ? { decision: refusal.decision } : {}), ...(notice ? { notice } : {}) });
        this.refusal = this.policyRefusal;
        throw this.policyRefusal;
      }
      if (refusal.code === 'not_entitled') {
        this.refusal = new UpdateClientError('NOT_ENTITLED', `the server does not deliver updates to this machine: ${refusal.message}`);
        throw this.refusal;
      }
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadHTTPError(`${url} answered HTTP ${response.status}`, response.status);
    }
    this.keepNotice(readNoticeHeader(response.headers.get(POLICY_NOTICE_HEADER), this.options.noticeTrust));
    return response.body as ByteStream;
  }

  /** One notice per distinct content: an update fetches several files under one decision. */
  private keepNotice(notice: PolicyNotice | undefined): void {
    if (notice === undefined) return;
    const key = notice.verified ? JSON.stringify([notice.decision.action, notice.decision.rule, notice.decision.decision]) : notice.problem;
    if (this.noticeKeys.has(key)) return;
    this.noticeKeys.add(key);
    this.notices.push(notice);
  }
}

async function openFile(url: string): Promise<ByteStream> {
  const path = fileURLToPath(url);
  try {
    if (!(await stat(path)).isFile()) throw new DownloadHTTPError(`${path} is not a file`, 404);
  } catch (e) {
    if (e instanceof DownloadHTTPError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new DownloadHTTPError(`${path} does not exist`, 404);
    throw new UpdateClientError('FETCH_FAILED', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return Readable.toWeb(createReadStream(path));
}
