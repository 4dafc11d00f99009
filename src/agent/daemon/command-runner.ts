/**
 * Runs one clamd command once the connection has framed and parsed it (clamd(8)): PING, VERSION,
 * VERSIONCOMMANDS, STATS, RELOAD, SHUTDOWN, the path scans (path-scan.ts) and the start of an
 * INSTREAM (its data is read by instream-reader.ts). Replies go through `reply`; `done` is called
 * once after the last one. Whether a command is allowed here (bare, in a session) is decided by
 * the connection before.
 */
import type { CommandMode, CommandName } from './clamd-command.js';
import { REPLY } from './clamd-reply.js';
import type { ConnectionHost } from './connection-host.js';
import { scanPath } from './path-scan.js';

/** What a command needs from the connection it came on. */
export interface CommandContext {
  readonly host: ConnectionHost;
  /** The client, for the log. */
  peer(): string;
  /** True once the connection is closed: a folder walk stops. */
  stopped(): boolean;
  /** Switches the connection to reading INSTREAM data. */
  startStream(reply: (line: string) => void, done: () => void): void;
}

export function runCommand(name: CommandName, path: string | null, mode: CommandMode, ctx: CommandContext, reply: (line: string) => void, done: () => void): void {
  const host = ctx.host;
  const s = host.settings;
  switch (name) {
    case 'PING':
      reply(REPLY.PONG);
      done();
      return;
    case 'VERSION':
      reply(s.enableVersion ? host.version() : REPLY.UNAVAILABLE);
      done();
      return;
    case 'VERSIONCOMMANDS':
      reply(s.enableVersion ? host.versionCommands() : REPLY.UNAVAILABLE);
      done();
      return;
    case 'STATS':
      reply(s.enableStats ? host.stats() : REPLY.UNAVAILABLE);
      done();
      return;
    case 'RELOAD':
      if (s.enableReload) {
        host.reload();
        reply(REPLY.RELOADING);
      } else reply(REPLY.UNAVAILABLE);
      done();
      return;
    case 'SHUTDOWN':
      if (s.enableShutdown) void host.shutdown();
      else reply(REPLY.UNAVAILABLE);
      done();
      return;
    case 'INSTREAM':
      ctx.startStream(reply, done);
      return;
    case 'SCAN':
    case 'CONTSCAN':
    case 'MULTISCAN':
    case 'ALLMATCHSCAN':
      host.log.verbose(`${ctx.peer()}: ${name} ${path ?? ''} (${mode})`);
      void scanPath(name, path ?? '', {
        followDirectorySymlinks: s.followDirectorySymlinks,
        followFileSymlinks: s.followFileSymlinks,
        excludePaths: s.excludePaths,
        excludeDirs: s.excludeDirs,
        maxDirectoryRecursion: s.maxDirectoryRecursion,
        parallel: s.maxThreads,
        scanFile: (p, size, allMatch) => host.scanFile(p, size, allMatch, `${name} ${p}`),
        emit: (line) => {
          logScanLine(host, line);
          reply(line);
        },
        stopped: () => ctx.stopped(),
      })
        .catch((e: unknown) => {
          host.log.error(`${name} ${String(path)}: ${(e as Error).message}`);
          reply(`${String(path)}: ${(e as Error).message} ERROR`);
        })
        .finally(done);
      return;
    default:
      reply(REPLY.UNKNOWN_COMMAND);
      done();
      return;
  }
}

/** Logs a scan's reply line: detections and errors always, clean results with LogClean. */
export function logScanLine(host: ConnectionHost, line: string): void {
  if (line.endsWith(' FOUND') || line.endsWith(' ERROR')) host.log.info(line);
  else if (host.settings.logClean) host.log.info(line);
}
