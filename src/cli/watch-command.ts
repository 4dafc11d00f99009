/**
 * `vigil watch PATH...`: scans files as they are created or changed under the given folders and
 * prints detections as `vigil scan` does; with --move-to-quarantine it also quarantines them. Runs
 * until SIGINT or SIGTERM, then prints a summary. See docs/watch.md.
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { pathFilterOf, ScanJob, WATCH_DEBOUNCE_MS, WatchSession, type ScanSettings } from '../agent/index.js';
import { formatProblem, openDatabase } from '../engine/index.js';
import { EXIT_CLEAN, EXIT_FOUND, reportError, UsageError } from './exit-codes.js';
import { ScanReport } from './scan-report.js';
import { addCacheOptions, addMatchOptions, cacheSetting, collect, formatQuarantined, openQuarantineForScan, parseScanSettings, reportSettings, type ScanOptionFlags } from './scan-options.js';

interface WatchFlags extends ScanOptionFlags {
  debounce?: string;
  moveToQuarantine?: boolean;
}

export function registerWatchCommand(program: Command): void {
  const watch = program
    .command('watch')
    .description('watch folders (recursively) and scan files as they are created or changed')
    .argument('<paths...>', 'folders to watch, with all their sub-folders')
    .option('-d, --database <path>', 'signature database file or folder (repeatable; default: built-in)', collect, []);
  addMatchOptions(watch, 'watch', {
    infected: 'print only infected files (and errors)',
    summary: 'do not print the summary when stopped',
    excludeDir: 'skip folders whose path matches, and all below them (repeatable)',
  })
    .option('--debounce <ms>', `wait until a folder has been quiet this long before scanning what changed in it (default ${WATCH_DEBOUNCE_MS})`)
    .option('--move-to-quarantine', "move infected files into the quarantine (encrypted, in the agent's data folder); see 'vigil quarantine'")
    .option('--json', 'one JSON object per line for each file, then a summary object');
  addCacheOptions(watch)
    .option('--agent-dir <dir>', "the agent's data folder, which holds the quarantine (default: VIGIL_AGENT_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)")
    .addHelpText(
      'after',
      `
Files present when the watch starts are not scanned (run 'vigil scan' for those), except files
changed in the last seconds before it. Symbolic links are not followed. "Watching ..." on stderr
says when every folder is watched. SIGINT (Ctrl-C) or SIGTERM stops it: scans in progress finish,
then the summary is printed.
Exit codes: 0 stopped and nothing found, 1 something was found, 2 an error at start.`,
    )
    .action(async (paths: string[], flags: WatchFlags) => {
      process.exitCode = await runWatch(paths, flags);
    });
}

async function runWatch(paths: string[], flags: WatchFlags): Promise<number> {
  const started = new Date();
  let settings: ScanSettings;
  let debounceMs = WATCH_DEBOUNCE_MS;
  try {
    settings = parseScanSettings(flags, 'watch');
    if (flags.debounce !== undefined) {
      debounceMs = Number(flags.debounce);
      if (!Number.isInteger(debounceMs) || debounceMs < 0 || debounceMs > 60_000) throw new UsageError(`--debounce: expected milliseconds from 0 to 60000, got '${flags.debounce}'`);
    }
    for (const p of paths) {
      let isDir = false;
      try {
        isDir = (await stat(p)).isDirectory();
      } catch (e) {
        throw new UsageError(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
      }
      if (!isDir) throw new UsageError(`${p}: not a folder (vigil watch watches folders)`);
    }
  } catch (e) {
    return reportError(e);
  }

  const quarantine = flags.moveToQuarantine ? openQuarantineForScan(flags.agentDir) : undefined;
  if (typeof quarantine === 'number') return quarantine;
  let job: ScanJob;
  try {
    const opened = openDatabase(flags.database, cacheSetting(flags));
    for (const w of opened.compiled ? opened.warnings : []) process.stderr.write(`${formatProblem(w)}\n`);
    job = await ScanJob.start({ image: opened.bytes, settings, workers: 0 });
  } catch (e) {
    return reportError(e);
  }

  const write = (line: string) => process.stdout.write(`${line}\n`);
  const report = new ScanReport(reportSettings(flags, write), started);
  report.knownSignatures = job.scanner.database.info().knownSignatures;
  let quarantined = 0;
  const session = new WatchSession({
    roots: paths,
    job,
    filter: pathFilterOf(settings),
    debounceMs,
    ...(quarantine ? { quarantine } : {}),
    onResult: (path, result) => report.result(path, result),
    onError: (path, message) => report.error(path, message),
    onQuarantined: (path, entry) => {
      quarantined++;
      write(formatQuarantined(path, entry.id, flags.json ?? false));
    },
    onWarning: (message) => process.stderr.write(`WARNING: ${message}\n`),
  });

  // Signals are taken before the watches exist, so an early Ctrl-C still stops cleanly.
  let stopRequested: (signal: string) => void = () => {};
  const stopped = new Promise<string>((r) => (stopRequested = r));
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await session.start();
    process.stderr.write(`Watching ${session.watchedFolders} folder(s) under ${paths.join(', ')}${quarantine ? ', moving infected files to quarantine' : ''} (Ctrl-C to stop)\n`);
    const signal = await stopped;
    const { unscanned } = await session.stop();
    process.stderr.write(`Stopped by ${signal}${unscanned > 0 ? `; ${unscanned} changed file(s) were not scanned yet` : ''}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await session.stop();
    await job.close();
  }
  if (flags.summary) write(watchSummary(report, quarantined, started, flags.json ?? false));
  return report.infected > 0 ? EXIT_FOUND : EXIT_CLEAN;
}

function watchSummary(report: ScanReport, quarantined: number, started: Date, json: boolean): string {
  const seconds = (Date.now() - started.getTime()) / 1000;
  if (json) {
    return JSON.stringify({ summary: { scannedFiles: report.files, infectedFiles: report.infected, quarantinedFiles: quarantined, totalErrors: report.errors, bytesRead: report.bytesRead, seconds } });
  }
  const lines = ['', '----------- WATCH SUMMARY -----------', `Known viruses: ${report.knownSignatures}`, `Scanned files: ${report.files}`, `Infected files: ${report.infected}`];
  if (quarantined > 0) lines.push(`Quarantined files: ${quarantined}`);
  if (report.errors > 0) lines.push(`Total errors: ${report.errors}`);
  lines.push(`Time: ${seconds.toFixed(3)} sec`);
  return lines.join('\n');
}

