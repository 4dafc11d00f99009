/** Errors of the daemon: a configuration that cannot be used, or a socket that cannot be opened. */
import { VigilError, type VigilErrorOptions } from '../../protocol/index.js';

export type DaemonErrorCode =
  | 'CONFIG_INVALID' // clamd.conf has malformed lines or values; `problems` lists them with file:line
  | 'CONFIG_UNREADABLE' // the configuration file cannot be read
  | 'NO_LISTENER' // neither a TCP port nor a Unix socket was configured
  | 'LISTEN_FAILED' // a socket could not be bound
  | 'DATABASE_FAILED'; // the signature database could not be loaded at start

/** One problem in a configuration file; `line` is 1-based (0: the whole file). */
export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
}

export function formatConfigProblem(p: ConfigProblem, level: 'error' | 'warning'): string {
  return `${p.line > 0 ? `${p.file}:${p.line}` : p.file}: ${level}: ${p.message}`;
}

export class DaemonError extends VigilError {
  readonly code: DaemonErrorCode;
  readonly problems: ConfigProblem[];
  constructor(code: DaemonErrorCode, message: string, options: VigilErrorOptions & { problems?: ConfigProblem[] } = {}) {
    super(message, options);
    this.name = 'DaemonError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}
