/**
 * The daemon's log: clamd's LogFile (appended to) or standard error, one line per event, with
 * clamd's `Thu Nov 26 20:47:58 2026 -> ` prefix when LogTime is on. Writes are synchronous so a
 * line is never lost on exit; the log is small (one line per command at most).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'info' | 'warning' | 'error' | 'verbose';

export interface DaemonLogOptions {
  file: string | null;
  time: boolean;
  verbose: boolean;
  /** Where lines go when there is no file (tests capture them). */
  write?: (line: string) => void;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3)-style local time, as clamd's log and VERSION print it. */
export function ctime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]!} ${MONTHS[d.getMonth()]!} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

export class DaemonLog {
  private failed = false;

  constructor(private readonly options: DaemonLogOptions) {
    if (options.file) mkdirSync(dirname(options.file), { recursive: true });
  }

  info(message: string): void {
    this.line('info', message);
  }

  warning(message: string): void {
    this.line('warning', message);
  }

  error(message: string): void {
    this.line('error', message);
  }

  verbose(message: string): void {
    if (this.options.verbose) this.line('verbose', message);
  }

  private line(level: LogLevel, message: string): void {
    const prefix = level === 'warning' ? 'WARNING: ' : level === 'error' ? 'ERROR: ' : '';
    const text = `${this.options.time ? `${ctime(new Date())} -> ` : ''}${prefix}${message.replace(/[\r\n]+/g, ' ')}\n`;
    if (this.options.file && !this.failed) {
      try {
        appendFileSync(this.options.file, text);
        return;
      } catch (e) {
        this.failed = true;
        process.stderr.write(`ERROR: cannot write the log file ${this.options.file}: ${(e as Error).message}; logging to standard error\n`);
      }
    }
    if (this.options.write) this.options.write(text);
    else process.stderr.write(text);
  }
}
