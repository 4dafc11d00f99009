/**
 * Bounds the daemon's scanning: at most `maxThreads` jobs run at once (clamd's MaxThreads) and at
 * most `maxQueue` wait or run (MaxQueue). A caller first waits to be admitted to the queue, so a
 * client that sends more work than the queue holds simply stops being read until there is room;
 * nothing is refused.
 */

export interface JobInfo {
  /** Command and target, for STATS (`SCAN /path`, `INSTREAM`). */
  label: string;
  queuedAt: number;
  startedAt: number | null;
}

export class JobGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly admissions: (() => void)[] = [];
  private queued = 0;
  readonly jobs = new Set<JobInfo>();

  constructor(
    private readonly maxThreads: number,
    private readonly maxQueue: number,
  ) {}

  get runningCount(): number {
    return this.running;
  }

  get queuedCount(): number {
    return this.queued;
  }

  /** Resolves when the queue has room for one more job. */
  admit(): Promise<void> {
    if (this.queued < this.maxQueue && this.admissions.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.admissions.push(resolve));
  }

  /** Runs `work` when a thread is free. Call after `admit()`. */
  async run<T>(label: string, work: () => Promise<T>): Promise<T> {
    const info: JobInfo = { label, queuedAt: performance.now(), startedAt: null };
    this.jobs.add(info);
    this.queued++;
    try {
      // A finishing job hands its thread straight to the next waiter, so `running` never overshoots.
      if (this.running < this.maxThreads) this.running++;
      else await new Promise<void>((resolve) => this.waiting.push(resolve));
      info.startedAt = performance.now();
      try {
        return await work();
      } finally {
        const next = this.waiting.shift();
        if (next) next();
        else this.running--;
      }
    } finally {
      this.queued--;
      this.jobs.delete(info);
      while (this.admissions.length > 0 && this.queued < this.maxQueue) this.admissions.shift()!();
    }
  }
}
