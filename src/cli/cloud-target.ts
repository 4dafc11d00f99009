/**
 * Where an admin command works: directly on a data folder (or PostgreSQL URL), or on a running
 * server through its API with `--url` and `--token`. The two give the same answers.
 */
import { VigilError } from '../protocol/index.js';
import type { Command } from 'commander';
import type { Store } from '../cloud/index.js';
import { UsageError } from './exit-codes.js';

/** The cloud is loaded only by the commands that use it, so `vigil scan` does not pay for it. */
export const loadCloud = () => import('../cloud/index.js');

export interface TargetOptions {
  data?: string;
  store?: string;
  url?: string;
  token?: string;
}

export function addTargetOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'work on this data folder directly (default ./vigil-data)')
    .option('--store <url>', 'work on this PostgreSQL database directly (or VIGIL_STORE)')
    .option('--url <url>', 'work through a running server instead (or VIGIL_CLOUD_URL)')
    .option('--token <token>', 'bearer token for --url (or VIGIL_TOKEN)');
}

export type Target = { kind: 'store'; store: Store; description: string } | { kind: 'api'; api: ApiClient };

export async function openTarget(options: TargetOptions): Promise<Target> {
  const url = options.url ?? process.env.VIGIL_CLOUD_URL;
  if (url && (options.data || options.store)) throw new UsageError('give either --url or --data/--store, not both');
  if (url) {
    const token = options.token ?? process.env.VIGIL_TOKEN;
    if (!token) throw new UsageError('--url needs a token: --token or VIGIL_TOKEN');
    return { kind: 'api', api: new ApiClient(url, token) };
  }
  const { openStore } = await loadCloud();
  const store = await openStore({ dataDir: options.data ?? 'vigil-data', url: options.store ?? process.env.VIGIL_STORE });
  return { kind: 'store', store, description: store.description };
}

export async function closeTarget(target: Target): Promise<void> {
  if (target.kind === 'store') await target.store.close();
}

/** An error answer of the API, printed as the server worded it. */
export class ApiError extends VigilError {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path: string; message: string }[],
  ) {
    super(message);
  }

  override listDetails(): { path: string; message: string }[] {
    return this.details;
  }
}

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new UsageError(`cannot reach ${this.base}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(response.status, 'bad_response', `${method} ${path}: the server answered ${response.status} with non-JSON`, []);
    }
    if (!response.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; details?: { path: string; message: string }[] } } | undefined)?.error;
      throw new ApiError(response.status, err?.code ?? 'error', err?.message ?? `HTTP ${response.status}`, err?.details ?? []);
    }
    return parsed as T;
  }
}
