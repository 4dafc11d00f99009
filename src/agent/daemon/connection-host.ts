/** What a client connection needs from the daemon (clamd-daemon.ts implements it). */
import type { PassThrough } from 'node:stream';
import type { PoolTaskResult, ScanResult } from '../../engine/index.js';
import type { DaemonSettings } from './daemon-config.js';
import type { DaemonLog } from './daemon-log.js';

export interface ConnectionHost {
  readonly settings: DaemonSettings;
  readonly log: DaemonLog;
  version(): string;
  versionCommands(): string;
  stats(): string;
  reload(): void;
  /** Settles when the daemon has shut down. */
  shutdown(): Promise<void>;
  /** Scans a file through the daemon's job gate. */
  scanFile(path: string, size: number, allMatch: boolean, label: string): Promise<PoolTaskResult>;
  /** Starts scanning a stream; the returned promise settles after `feed` ends or is destroyed. */
  scanStream(feed: PassThrough): Promise<ScanResult>;
}
