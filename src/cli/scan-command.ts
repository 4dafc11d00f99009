/**
 * `vigil scan`: clamscan's options and output, plus --json, a progress bar and a worker pool. The
 * scan itself (walk, pool, results) is the agent's ScanJob; this file parses flags and prints.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { agentDirPath, CLOUD_DETECTION_NAME, DEFAULT_CLOUD_TIMEOUT_MS, LOOKUP_MAX_PREFIXES, ScanJob, startScanNetwork, wantsPool, type ScanJobEvent, type ScanNetwork, type ScanSettings, type WalkEvent } from '../agent/index.js';
import { defaultWorkerCount, formatProblem, openDatabase } from '../engine/index.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND, reportError, UsageError } from './exit-codes.js';
import { ScanReport } from './scan-report.js';
import { addCacheOptions, addMatchOptions, cacheSetting, collect, formatQuarantined, openQuarantineForScan, parseScanSettings, reportSettings, type ScanOptionFlags } from './scan-options.js';
import { vigilVersion } from './version.js';

interface ScanFlags extends ScanOptionFlags {
  recursive?: boolean;
  jobs?: string;
  progress: boolean;
  verbose?: boolean;
  stdout?: boolean;
  cloud: boolean;
  cloudTimeout?: string;
  quarantine?: boolean;
}

export function registerScanCommand(program: Command): void {
  const scan = program
    .command('scan')
    .description('scan files and folders for malware (clamscan-compatible options and output)')
    .argument('[paths...]', "files or folders to scan, '-' for standard input (default: the current folder)")
    .option('-d, --database <path>', 'signature database file or folder: ClamAV sources or a compiled image (repeatable; default: built-in)', collect, [])
    .option('-r, --recursive', 'scan sub-folders');
  addMatchOptions(scan, 'scan', {
    infected: 'print only infected files (and errors on stderr)',
    summary: 'do not print the summary at the end',
    excludeDir: 'skip folders whose path matches (repeatable)',
  })
    .option('--json', 'one JSON object per line for each file (findings inside archives name the path within: a.zip//docs/b.exe), then a summary object')
    .option('-j, --jobs <n>', `worker threads for folders and file lists (default ${defaultWorkerCount()})`)
    .option('--no-progress', 'no progress bar (it is shown on stderr only when stderr is a terminal)');
  addCacheOptions(scan)
    .option('--stdout', 'accepted for clamscan compatibility (results always go to stdout)')
    .option('-v, --verbose', 'print database warnings (skipped signatures)')
    .option('--no-cloud', 'do not use the security network for this scan (no look-ups, nothing queued or sent)')
    .option('--cloud-timeout <ms>', `how long the security network may take at each step, in milliseconds (default ${DEFAULT_CLOUD_TIMEOUT_MS})`)
    .option('--quarantine', "move infected files into the quarantine (encrypted, in the agent's data folder) after reporting them; see 'vigil quarantine'")
    .option('--agent-dir <dir>', "the agent's data folder, for the security network and the quarantine (default: VIGIL_AGENT_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)")
    .action(async (paths: string[], flags: ScanFlags) => {
      process.exitCode = await runScan(paths, flags);
    });
}

async function runScan(paths: string[], flags: ScanFlags): Promise<number> {
  const started = new Date();
  let settings: ScanSettings;
  let jobs: number;
  let cloudTimeoutMs = DEFAULT_CLOUD_TIMEOUT_MS;
  try {
    settings = parseScanSettings(flags, 'scan');
    jobs = flags.jobs === undefined ? defaultWorkerCount() : Number(flags.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError(`--jobs: expected a number from 1 to 64, got '${String(flags.jobs)}'`);
    if (flags.cloudTimeout !== undefined) {
      cloudTimeoutMs = Number(flags.cloudTimeout);
      if (!Number.isInteger(cloudTimeoutMs) || cloudTimeoutMs < 1 || cloudTimeoutMs > 600_000) throw new UsageError(`--cloud-timeout: expected milliseconds from 1 to 600000, got '${flags.cloudTimeout}'`);
    }
  } catch (e) {
    return reportError(e);
  }
  if (paths.length === 0) paths = ['.'];
  const useStdin = paths.includes('-');
  const targets = paths.filter((p) => p !== '-');
  const usePool = await wantsPool(targets, jobs);

  let opened;
  try {
    opened = openDatabase(flags.database, { ...cacheSetting(flags), shared: usePool });
  } catch (e) {
    return reportError(e);
  }
  // Skipped signatures are announced when sources are compiled (and always with -v), not on every cached start.
  if (flags.verbose) for (const w of opened.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  const dbInfo = opened.db.info();
  const skipped = dbInfo.skipped;
  if (skipped > 0 && (flags.verbose || opened.compiled)) {
    process.stderr.write(`WARNING: ${skipped} signature(s) use features Vigil does not support yet and were skipped; 'vigil db verify' lists them\n`);
  }

  // The quarantine is opened (settling moves a crash interrupted) before anything is scanned.
  const quarantine = flags.quarantine ? openQuarantineForScan(flags.agentDir) : undefined;
  if (typeof quarantine === 'number') return quarantine;
  let quarantined = 0;

  const showProgress = flags.progress && process.stderr.isTTY && !flags.json;
  let multibar: MultiBar | null = null;
  let bar: SingleBar | null = null;
  const write = (line: string) => {
    if (multibar && process.stdout.isTTY) multibar.log(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  };
  const report = new ScanReport(reportSettings(flags, write), started);
  report.knownSignatures = dbInfo.knownSignatures;
  // The security network, when the user opted in (and the license allows it); otherwise nothing changes.
  let network: ScanNetwork | undefined;
  if (flags.cloud) {
    const bytes = opened.bytes;
    const opening = startScanNetwork({
      agentDir: agentDirPath(flags.agentDir),
      timeoutMs: cloudTimeoutMs,
      engine: vigilVersion(),
      database: () => `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    for (const notice of opening.notices) process.stderr.write(`${notice}\n`);
    network = opening.network;
  }
  // With --quarantine, an infected file is moved in right after its FOUND line(s), and a line says so.
  const quarantineFile = (path: string, detections: string[]) => {
    if (!quarantine) return;
    try {
      const entry = quarantine.add(path, detections);
      quarantined++;
      write(formatQuarantined(path, entry.id, flags.json ?? false));
    } catch (e) {
      report.error(path, `Can't quarantine: ${(e as Error).message}`);
    }
  };
  // Files waiting for a cloud verdict are reported once it is known (or the cloud failed).
  const reportCloud = async () => {
    if (!network) return;
    for (const f of await network.resolve()) {
      if (f.cloud) {
        report.cloudDetection(f.path, f.result, f.cloud);
        quarantineFile(f.path, [CLOUD_DETECTION_NAME]);
      } else {
        report.result(f.path, f.result);
        if (f.result.infected) quarantineFile(f.path, f.result.findings.map((x) => x.signature));
      }
    }
  };
  const job = await ScanJob.start({ image: opened.bytes, settings, workers: usePool ? jobs : 0 });

  const handle = async (ev: ScanJobEvent) => {
    switch (ev.kind) {
      case 'directory':
        report.directories++;
        return;
      case 'empty':
        report.note(ev.path, 'Empty file');
        return;
      case 'excluded':
        report.note(ev.path, 'Excluded');
        return;
      case 'symlink':
        report.note(ev.path, 'Symbolic link');
        return;
      case 'missing':
        process.stderr.write(`${ev.path}: ${ev.reason}\nWARNING: ${ev.path}: Can't access file\n`);
        report.errors++;
        return;
      case 'error':
        report.error(ev.path, ev.reason);
        return;
      case 'file': {
        const outcome = ev.outcome;
        if (outcome.ok) {
          if (!network?.add(ev.path, outcome.result)) {
            report.result(ev.path, outcome.result);
            if (outcome.result.infected) quarantineFile(ev.path, outcome.result.findings.map((x) => x.signature));
          }
          if (network && network.pending >= LOOKUP_MAX_PREFIXES) await reportCloud();
        } else report.error(ev.path, outcome.code === 'EACCES' || outcome.code === 'EPERM' ? 'Access denied' : `Can't read file (${outcome.code})`);
        if (bar) bar.increment(ev.size, { files: report.files, mb: (report.bytesRead / 1048576).toFixed(1) });
      }
    }
  };

  try {
    if (useStdin) {
      try {
        report.result('stdin', await job.scanStream(process.stdin, 'stdin'));
      } catch (e) {
        report.error('stdin', (e as Error).message);
      }
    }
    let events: AsyncIterable<WalkEvent> | WalkEvent[] = job.walk(targets, flags.recursive ?? false);
    if (showProgress) {
      const all: WalkEvent[] = [];
      for await (const ev of events) all.push(ev);
      events = all;
      const total = all.reduce((n, ev) => n + (ev.kind === 'file' ? ev.size : 0), 0);
      multibar = new MultiBar({ stream: process.stderr, format: ' {bar} {percentage}% | {files} files | {mb}/{totalMb} MB | ETA {eta}s', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
      bar = multibar.create(Math.max(total, 1), 0, { files: 0, mb: '0.0', totalMb: (total / 1048576).toFixed(1) });
    }
    for await (const ev of job.scan(events)) await handle(ev);
    await reportCloud();
  } finally {
    multibar?.stop();
    await job.close();
    if (network) for (const notice of (await network.finish()).notices) process.stderr.write(`${notice}\n`);
  }
  if (flags.summary) process.stdout.write(`${report.summary(`vigil ${vigilVersion()}`)}\n`);
  if (flags.summary && quarantine && !flags.json) process.stdout.write(`Quarantined files: ${quarantined}\n`);
  return report.infected > 0 ? EXIT_FOUND : report.errors > 0 ? EXIT_ERROR : EXIT_CLEAN;
}
