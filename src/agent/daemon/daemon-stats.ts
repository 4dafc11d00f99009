/**
 * The STATS reply, in clamd's layout (clamd(8) says the format may change; monitoring scripts read
 * the THREADS and QUEUE lines):
 *
 *   POOLS: 1
 *
 *   STATE: VALID PRIMARY
 *   THREADS: live 2  idle 0 max 10 idle-timeout 30
 *   QUEUE: 0 items
 *   \tSCAN 0.000012 /srv/upload/a.bin
 *
 *   MEMSTATS: heap 12.345M mmap N/A used N/A free N/A releasable N/A pools 1 pools_used 3.210M pools_total 3.210M
 *   END
 */
import type { JobInfo } from './job-gate.js';

export interface StatsInput {
  running: number;
  liveThreads: number;
  maxThreads: number;
  idleTimeoutSeconds: number;
  jobs: Iterable<JobInfo>;
  reloading: boolean;
  databaseBytes: number;
  now?: number;
}

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(3)}M`;

export function formatStats(input: StatsInput): string {
  const now = input.now ?? performance.now();
  const jobs = [...input.jobs];
  const waiting = jobs.filter((j) => j.startedAt === null);
  const waits = waiting.map((j) => (now - j.queuedAt) / 1000);
  const queueLine =
    waits.length === 0
      ? `QUEUE: 0 items`
      : `QUEUE: ${waits.length} items min_wait: ${Math.min(...waits).toFixed(6)} max_wait: ${Math.max(...waits).toFixed(6)} avg_wait: ${(waits.reduce((a, b) => a + b, 0) / waits.length).toFixed(6)}`;
  const lines = [
    'POOLS: 1',
    '',
    `STATE: ${input.reloading ? 'VALID PRIMARY RELOADING' : 'VALID PRIMARY'}`,
    `THREADS: live ${input.liveThreads}  idle ${Math.max(0, input.liveThreads - input.running)} max ${input.maxThreads} idle-timeout ${input.idleTimeoutSeconds}`,
    queueLine,
    ...jobs.map((j) => `\t${j.label.split(' ')[0]!} ${((now - (j.startedAt ?? j.queuedAt)) / 1000).toFixed(6)} ${j.label.slice(j.label.indexOf(' ') + 1)}`),
    '',
    `MEMSTATS: heap ${mb(process.memoryUsage().heapUsed)} mmap N/A used N/A free N/A releasable N/A pools 1 pools_used ${mb(input.databaseBytes)} pools_total ${mb(input.databaseBytes)}`,
    'END',
  ];
  return lines.join('\n');
}
