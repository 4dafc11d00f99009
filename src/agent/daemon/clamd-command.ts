/**
 * The clamd command line: framing and parsing (clamd(8), "COMMANDS").
 *
 * A command starting with `z` ends at a NUL byte and its replies end with NUL; one starting with
 * `n` ends at a newline (a CR before it is dropped) and its replies end with a newline. A command
 * without either prefix is the deprecated bare form: it ends at a newline or a NUL, or, as in
 * clamd, where the client's first write ends; its replies end with a newline. Only some commands
 * may be sent bare (see COMMANDS). Behaviour checked against clamd 1.4.6.
 */

/** How a command was delimited, which is also how its replies are delimited. */
export type CommandMode = 'z' | 'n' | 'bare';

/**
 * Longest command line clamd 1.4 accepts, prefix and delimiter included (observed: 4104 bytes);
 * a longer prefixed command closes the connection without a reply, as clamd does.
 */
export const COMMAND_MAX_BYTES = 4104;

export type CommandName =
  | 'PING' | 'VERSION' | 'VERSIONCOMMANDS' | 'RELOAD' | 'SHUTDOWN' | 'SCAN' | 'CONTSCAN' | 'MULTISCAN'
  | 'ALLMATCHSCAN' | 'INSTREAM' | 'STATS' | 'IDSESSION' | 'END' | 'DETSTATS' | 'DETSTATSCLEAR';

interface CommandRule {
  /** Takes a path after one space. */
  path: boolean;
  /** May be sent without a z/n prefix. */
  bare: boolean;
  /** Accepted inside IDSESSION. */
  session: boolean;
}

/** The commands Vigil answers, with clamd's rules. FILDES is missing on purpose: see docs/daemon.md. */
export const COMMANDS: Record<CommandName, CommandRule> = {
  PING: { path: false, bare: true, session: true },
  VERSION: { path: false, bare: true, session: true },
  VERSIONCOMMANDS: { path: false, bare: false, session: true },
  RELOAD: { path: false, bare: true, session: false },
  SHUTDOWN: { path: false, bare: true, session: false },
  SCAN: { path: true, bare: true, session: true },
  CONTSCAN: { path: true, bare: true, session: false },
  MULTISCAN: { path: true, bare: true, session: false },
  ALLMATCHSCAN: { path: true, bare: false, session: false },
  INSTREAM: { path: false, bare: false, session: true },
  STATS: { path: false, bare: false, session: true },
  IDSESSION: { path: false, bare: false, session: false },
  END: { path: false, bare: false, session: true },
  // Listed by clamd's VERSIONCOMMANDS but answered by closing the connection without a reply.
  DETSTATS: { path: false, bare: false, session: false },
  DETSTATSCLEAR: { path: false, bare: false, session: false },
};

/** Names as VERSIONCOMMANDS lists them (clamd's order, QUIT and FILDES left out). */
export const VERSION_COMMANDS_LIST = 'SCAN RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN MULTISCAN STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS ALLMATCHSCAN';

export interface FramedCommand {
  mode: CommandMode;
  text: string;
  /** Bytes of the buffer the command used. */
  consumed: number;
}

export type FrameResult = { kind: 'command'; command: FramedCommand } | { kind: 'incomplete' } | { kind: 'too-long' };

/**
 * Takes one command off the front of `buf`. `flush`: no more bytes are coming for now (the bare
 * form's end of the client's write, or end of input), so a bare command without delimiter is
 * taken whole.
 */
export function frameCommand(buf: Uint8Array, flush: boolean): FrameResult {
  if (buf.length === 0) return { kind: 'incomplete' };
  const first = buf[0];
  if (first === 0x7a /* z */ || first === 0x6e /* n */) {
    const mode: CommandMode = first === 0x7a ? 'z' : 'n';
    const end = buf.indexOf(mode === 'z' ? 0 : 0x0a, 1);
    if (end < 0) return buf.length < COMMAND_MAX_BYTES ? { kind: 'incomplete' } : { kind: 'too-long' };
    if (end + 1 > COMMAND_MAX_BYTES) return { kind: 'too-long' };
    let text = Buffer.from(buf.subarray(1, end)).toString('utf8');
    if (mode === 'n' && text.endsWith('\r')) text = text.slice(0, -1);
    return { kind: 'command', command: { mode, text, consumed: end + 1 } };
  }
  let end = -1;
  for (let i = 0; i < buf.length && i < COMMAND_MAX_BYTES; i++) {
    if (buf[i] === 0x0a || buf[i] === 0) {
      end = i;
      break;
    }
  }
  if (end < 0 && !flush && buf.length < COMMAND_MAX_BYTES) return { kind: 'incomplete' };
  const stop = end < 0 ? Math.min(buf.length, COMMAND_MAX_BYTES) : end;
  let text = Buffer.from(buf.subarray(0, stop)).toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  return { kind: 'command', command: { mode: 'bare', text, consumed: end < 0 ? stop : end + 1 } };
}

export type ParsedCommand = { name: CommandName; path: string | null } | { name: null };

/** Recognises a command's name and path; anything else is `{ name: null }` (UNKNOWN COMMAND). */
export function parseCommand(text: string): ParsedCommand {
  const space = text.indexOf(' ');
  const word = space < 0 ? text : text.slice(0, space);
  if (!Object.hasOwn(COMMANDS, word)) return { name: null };
  const name = word as CommandName;
  if (COMMANDS[name].path) return space < 0 ? { name: null } : { name, path: text.slice(space + 1) };
  return space < 0 ? { name, path: null } : { name: null };
}

/** QUIT is clamd's deprecated name for SHUTDOWN. */
export function normaliseCommandText(text: string): string {
  return text === 'QUIT' ? 'SHUTDOWN' : text;
}

export function delimiterOf(mode: CommandMode): string {
  return mode === 'z' ? '\0' : '\n';
}
