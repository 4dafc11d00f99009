/**
 * `vigil update [--server URL | --mirror REPO] [--trusted-root FILE] [--database-dir DIR]`
 * `vigil update --rollback`: signature updates from the vendor's TUF repository, checked against
 * its transparency log, installed atomically (docs/update-client.md).
 *
 * Exit codes: 0 updated or already current (or rolled back), 2 error or refusal, 3 refused by the
 * vendor's jurisdiction policy (EXIT_POLICY_DENIED). The vendor's signed policy notices are shown
 * with a refusal and after a delivery that came with one; a notice that does not verify is said to,
 * and its text is not shown as the vendor's.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { agentDirPath, rollbackUpdate, runUpdate, UpdateClientError, type DownloadProgress, type Notified, type PolicyNotice, type UpdateOutcome } from '../agent/index.js';
import { EXIT_CLEAN, EXIT_ERROR, EXIT_POLICY_DENIED, reportError } from './exit-codes.js';
import { formatDecision } from './license-report.js';

/** Refused by the vendor's policy (HTTP 403 policy_denied): the database is kept. */

const AGENT_DIR_HELP = "the agent's data folder (default: VIGIL_AGENT_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)";

interface UpdateFlags {
  server?: string;
  mirror?: string;
  trustedRoot?: string;
  databaseDir?: string;
  agentDir?: string;
  notifyPidFile?: string;
  rollback?: boolean;
  json?: boolean;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A progress bar on stderr while targets download, on a terminal only. */
function progressBar(enabled: boolean): { onProgress?: (p: DownloadProgress) => void; stop: () => void } {
  if (!enabled) return { stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onProgress(p) {
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: ' {name} [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(p.total, 0, { name: p.name });
      }
      bar.update(p.received, { name: p.name });
      if (p.done) stop();
    },
    stop,
  };
}

function notifiedLine(n: Notified | undefined): string | undefined {
  if (n === undefined) return undefined;
  return n.pid !== undefined ? `Told the daemon (pid ${n.pid}) to reload.` : `WARNING: ${n.error!}; the daemon reloads on its next SIGUSR2 or restart.`;
}

/** A notice of the vendor's policy, as lines: the signed text, or why it cannot be shown as the vendor's. */
function noticeLines(n: PolicyNotice, heading: string): string[] {
  if (!n.verified) return [`WARNING: a policy notice came with this answer but cannot be verified: ${n.problem}. It is not shown as the vendor's.`];
  const lines = [heading, ...formatDecision(n.decision, 'signature updates')];
  if (n.whatToDo !== undefined) lines.push('  What to do:'.padEnd(16) + n.whatToDo);
  lines.push('  Signed:'.padEnd(16) + `by the vendor key pinned at activation (${n.keyId.slice(0, 16)}...)${n.issuedAt ? `, issued ${n.issuedAt}` : ''}`);
  return lines;
}

function noticeJson(n: PolicyNotice): Record<string, unknown> {
  return n.verified ? { verified: true, decision: n.decision, what_to_do: n.whatToDo ?? null, issued_at: n.issuedAt ?? null, key_id: n.keyId } : { verified: false, problem: n.problem };
}

function printOutcome(o: UpdateOutcome): void {
  for (const n of o.notices) for (const line of noticeLines(n, 'Notice from the vendor, signed (this did not stop the update):')) (n.verified ? process.stdout : process.stderr).write(`${line}\n`);
  if (o.status === 'current') out(`Already current: release ${o.release} in ${o.databaseDir}.`);
  else out(`Updated to release ${o.release}${o.previous !== undefined ? ` from release ${o.previous}` : ''} (${o.via === 'delta' ? 'delta' : 'full image'}, ${o.downloadedBytes} bytes) in ${o.databaseDir}.`);
  if (o.deltaFailed) out(`The delta was not used (${o.deltaFailed}); the full image was.`);
  out(`Verified: TUF root version ${o.rootVersion}, targets version ${o.targetsVersion}; in log ${o.checkpoint.origin} at entry ${o.leafIndex} of ${o.checkpoint.size} (checkpoint of ${o.checkpoint.time}).`);
  const n = notifiedLine(o.notified);
  if (n) (o.notified?.error ? process.stderr : process.stdout).write(`${n}\n`);
}

function outcomeJson(o: UpdateOutcome): Record<string, unknown> {
  return {
    status: o.status,
    release: o.release,
    previous: o.previous ?? null,
    via: o.via ?? null,
    delta_failed: o.deltaFailed ?? null,
    database_dir: o.databaseDir,
    source: o.source,
    root_version: o.rootVersion,
    timestamp_version: o.timestampVersion,
    targets_version: o.targetsVersion,
    checkpoint: o.checkpoint,
    leaf_index: o.leafIndex,
    downloaded_bytes: o.downloadedBytes,
    notified: o.notified ?? null,
    sent_activation: o.sentActivation,
    notices: o.notices.map(noticeJson),
  };
}

/** Prints a refusal and returns its exit code: the policy has its own. */
function reportUpdateError(e: unknown, json: boolean): number {
  if (!(e instanceof UpdateClientError)) return reportError(e);
  const code = e.code === 'POLICY_DENIED' ? EXIT_POLICY_DENIED : EXIT_ERROR;
  if (json) {
    out(JSON.stringify({ status: e.code === 'POLICY_DENIED' ? 'policy_denied' : 'error', error: { code: e.code, message: e.message, ...(e.decision ? { decision: e.decision } : {}), ...(e.notice ? { notice: noticeJson(e.notice) } : {}) } }));
    return code;
  }
  process.stderr.write(`ERROR: ${e.message}\n`);
  const lines: string[] = [];
  if (e.notice?.verified) lines.push(...noticeLines(e.notice, 'Notice from the vendor, signed:'));
  else {
    if (e.notice) lines.push(...noticeLines(e.notice, ''));
    if (e.decision) lines.push(...(e.notice ? ["The server's decision, unsigned:"] : []), ...formatDecision(e.decision, 'signature updates'));
  }
  for (const line of lines) process.stderr.write(`${line}\n`);
  if (e.code !== 'BAD_ARGUMENT' && e.code !== 'NO_SOURCE' && e.code !== 'NO_TRUSTED_ROOT' && e.code !== 'NO_ROLLBACK') process.stderr.write('The installed database was kept.\n');
  return code;
}

export function registerUpdateCommand(program: Command): void {
  program
    .command('update')
    .description('install the newest signature release from the vendor (TUF metadata and transparency log verified)')
    .option('--server <url>', 'the vendor cloud (default: the server of the license activation)')
    .option('--mirror <repo>', 'an exported repository (`vigil cloud repo export`): a folder or an http(s) URL')
    .option('--trusted-root <file>', "the repository's initial root.json, needed the first time (kept afterwards)")
    .option('--database-dir <dir>', 'where to install the database (default: <agent folder>/database); give it to vigil scan -d')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--notify-pid-file <file>', 'after installing, send SIGUSR2 to the process in this pid file (vigil daemon reloads)')
    .option('--rollback', 'put back the database the last update replaced')
    .option('--json', 'print what happened as JSON')
    .addHelpText('after', '\nExit codes: 0 updated, already current or rolled back; 2 error or refused (the database is kept); 3 refused by the vendor\'s policy.\nSee docs/update-client.md.')
    .action(async (flags: UpdateFlags) => {
      const json = flags.json ?? false;
      const agentDir = agentDirPath(flags.agentDir);
      if (flags.rollback) {
        try {
          const r = rollbackUpdate({ agentDir, ...(flags.databaseDir === undefined ? {} : { databaseDir: flags.databaseDir }), ...(flags.notifyPidFile === undefined ? {} : { notifyPidFile: flags.notifyPidFile }) });
          if (json) out(JSON.stringify({ status: 'rolled_back', release: r.release, replaced: r.replaced ?? null, database_dir: r.databaseDir, notified: r.notified ?? null }));
          else {
            out(`Rolled back to release ${r.release}${r.replaced !== undefined ? ` (release ${r.replaced} kept as the rollback copy)` : ''} in ${r.databaseDir}.`);
            const n = notifiedLine(r.notified);
            if (n) out(n);
          }
          process.exitCode = EXIT_CLEAN;
        } catch (e) {
          process.exitCode = reportUpdateError(e, json);
        }
        return;
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare -- typed boolean, but undefined when stderr is not a terminal
      const progress = progressBar(!json && process.stderr.isTTY === true);
      try {
        const outcome = await runUpdate({
          agentDir,
          ...(flags.server === undefined ? {} : { server: flags.server }),
          ...(flags.mirror === undefined ? {} : { mirror: flags.mirror }),
          ...(flags.trustedRoot === undefined ? {} : { trustedRootFile: flags.trustedRoot }),
          ...(flags.databaseDir === undefined ? {} : { databaseDir: flags.databaseDir }),
          ...(flags.notifyPidFile === undefined ? {} : { notifyPidFile: flags.notifyPidFile }),
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        });
        progress.stop();
        if (json) out(JSON.stringify(outcomeJson(outcome)));
        else printOutcome(outcome);
        process.exitCode = EXIT_CLEAN;
      } catch (e) {
        progress.stop();
        process.exitCode = reportUpdateError(e, json);
      }
    });
}
