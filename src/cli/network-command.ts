/**
 * `vigil network enable|disable|status|sync`: the user's consent to the security network and the
 * state of what this machine reports. Nothing is sent until `enable`; after `disable` nothing more.
 */
import type { Command } from 'commander';
import {
  agentDirPath,
  DEFAULT_SYNC_TIMEOUT_MS,
  disableNetwork,
  enableNetwork,
  NetworkError,
  networkStatus,
  QUEUE_MAX_EVENTS_RANGE,
  syncNetwork,
  type ConsentCategory,
  type NetworkStatus,
  type NetworkStop,
  type SyncResult,
} from '../agent/index.js';
import { EXIT_CLEAN as EXIT_OK, EXIT_ERROR, EXIT_FOUND as EXIT_REFUSED, EXIT_POLICY_DENIED, reportError, UsageError } from './exit-codes.js';
import { formatDecision } from './license-report.js';

interface CommonFlags {
  agentDir?: string;
  json?: boolean;
}

// Exit (exit-codes.ts): 0 done; 1 refused, or (sync) events remain; 2 usage, connection and local errors; 3 a jurisdiction rule.

const AGENT_DIR_HELP = "the agent's data folder (default: VIGIL_AGENT_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)";
const WHAT_IS_SENT = `
What is sent, once enabled: for each detection (and, with --unknown-executables, each PE or ELF file
that neither the engine nor the cloud knows) its SHA-256, size, detected file type, detection name,
engine and database versions and the time. Never file contents, paths, file names or user names.
During scans, files with no local detection are checked against the cloud by the first 4 bytes of
their SHA-256 only (the match against full hashes is made on this machine).`;

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

function integerOption(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got '${text}'`);
  return n;
}

const CATEGORY_WORDS: Record<ConsentCategory, string> = { detections: 'detections', 'unknown-executables': 'unknown executables' };
const categoriesText = (c: readonly ConsentCategory[]) => c.map((x) => CATEGORY_WORDS[x]).join(', ');

const STOP_WORDS: Record<NetworkStop['reason'], string> = {
  policy_denied: 'a jurisdiction rule stops it',
  consent_required: 'the cloud holds no consent for this machine: run "vigil network enable" again',
  not_entitled: 'this license does not include the security network',
};

function stopLines(stop: NetworkStop, what: string): [string, ...string[]] {
  const lines: [string, ...string[]] = [`stopped on ${stop.at}: ${STOP_WORDS[stop.reason]}`];
  if (stop.decision) lines.push(...formatDecision(stop.decision, what));
  else lines.push(`  ${stop.message}`);
  return lines;
}

/** A NetworkError in words, with its exit code (the one place they become numbers). */
function reportNetworkError(e: unknown, doing: string, json: boolean): number {
  if (!(e instanceof NetworkError)) return reportError(e);
  let code = EXIT_REFUSED;
  const lines: string[] = [];
  switch (e.code) {
    case 'POLICY_DENIED':
      code = EXIT_POLICY_DENIED;
      lines.push(`Vigil could not ${doing}: a jurisdiction rule stops it.`, ...(e.server?.decision ? formatDecision(e.server.decision, 'the security network') : [`  Why:`.padEnd(16) + e.message]));
      lines.push('Nothing was changed on this machine; scanning goes on without the security network.');
      break;
    case 'NOT_ENTITLED':
      lines.push(`ERROR: this license does not include the security network (${e.message}). Nothing was changed.`);
      break;
    case 'NOT_ACTIVATED':
    case 'LICENSE_UNUSABLE':
    case 'CONSENT_REQUIRED':
    case 'UNAUTHENTICATED':
      lines.push(`ERROR: ${e.message}`);
      break;
    case 'UNREACHABLE':
    case 'TIMEOUT':
      code = EXIT_ERROR;
      lines.push(`ERROR: ${e.message}; check this machine's network connection. Nothing was changed.`);
      break;
    default:
      code = EXIT_ERROR;
      lines.push(`ERROR: ${e.message}${e.server?.retryAfterSeconds !== undefined ? `; try again in ${e.server.retryAfterSeconds} s` : ''}`);
      for (const d of e.server?.details ?? []) lines.push(`  ${d.path}: ${d.message}`);
  }
  for (const line of lines) err(line);
  if (json) out(JSON.stringify({ ok: false, error: { code: e.code, message: e.message, ...(e.server ? { server: e.server } : {}) } }));
  return code;
}

async function run(doing: string, json: boolean | undefined, work: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await work();
  } catch (e) {
    process.exitCode = reportNetworkError(e, doing, json ?? false);
  }
}

function statusJson(s: NetworkStatus): Record<string, unknown> {
  return {
    enabled: s.consent?.enabled ?? false,
    consent: s.consent,
    license: { ok: s.license.ok, state: s.license.state, message: s.license.message },
    queue: s.queue ? { ...s.queue, file: s.queueFile } : null,
    last_send: s.lastSend,
    last_error: s.lastError,
    collect_stop: s.collectStop,
    lookup_stop: s.lookupStop,
    backoff: s.backoff,
    cache: s.cache,
    ...(s.cloud ? { cloud: s.cloud } : {}),
    ...(s.cloudError ? { cloud_error: { code: s.cloudError.code, message: s.cloudError.message } } : {}),
  };
}

function formatStatus(s: NetworkStatus): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(19)}${value}`);
  const c = s.consent;
  if (c?.enabled) row('Security network', `enabled for ${categoriesText(c.categories)} since ${c.given_at!} (recorded by the cloud ${c.cloud_recorded_at!})`);
  else if (c?.withdrawn_at) {
    row('Security network', `off: consent withdrawn on ${c.withdrawn_at}${c.withdrawn_on_cloud ? ' (the cloud recorded it)' : '; the cloud has not been told yet: run "vigil network disable" again when online'}`);
  } else row('Security network', 'off: never enabled (nothing is sent); "vigil network enable" opts in');
  row('License', s.license.ok ? `${s.license.state.replace(/_/g, ' ')}, with the network entitlement` : `not usable for the network: ${s.license.message}`);
  const q = s.queue;
  if (q) {
    row('Queue', `${q.events - q.quarantinedEvents} event${q.events - q.quarantinedEvents === 1 ? '' : 's'} waiting (${q.inBatches} in a batch being sent), at most ${q.maxEvents}; ${s.queueFile}`);
    const dropped = Object.entries(q.dropped).filter(([, n]) => n > 0);
    const total = dropped.reduce((n, [, v]) => n + v, 0);
    row('Dropped', total === 0 ? '0' : `${total} (${dropped.map(([r, n]) => `${r.replace(/_/g, ' ')} ${n}`).join(', ')})`);
    if (q.quarantinedBatches > 0) row('Set aside', `${q.quarantinedBatches} batch${q.quarantinedBatches === 1 ? '' : 'es'} (${q.quarantinedEvents} events) the cloud refused as a conflict; not sent again`);
    row('Acknowledged', `${q.acknowledged} event${q.acknowledged === 1 ? '' : 's'}${q.duplicateBatches > 0 ? ` (${q.duplicateBatches} batch${q.duplicateBatches === 1 ? '' : 'es'} the cloud had already)` : ''}`);
  } else row('Queue', 'empty (nothing was ever queued)');
  row('Last send', s.lastSend ? `${s.lastSend.at} (${s.lastSend.events} events, batch ${s.lastSend.batch_id}${s.lastSend.duplicate ? ', already received' : ''})` : 'never');
  row('Last error', s.lastError ? `${s.lastError.at} ${s.lastError.code}: ${s.lastError.message}` : 'none');
  if (s.collectStop) {
    const [head, ...rest] = stopLines(s.collectStop, 'sending detection reports to the security network');
    row('Collection', `${head}; queued events are kept, not sent`);
    lines.push(...rest);
  }
  if (s.lookupStop) {
    const [head, ...rest] = stopLines(s.lookupStop, 'reputation look-ups in the security network');
    row('Look-ups', `${head}; the local cache is still used`);
    lines.push(...rest);
  }
  if (s.backoff) row('Next try', `after ${s.backoff.next_attempt_at} (${s.backoff.failures} failed attempt${s.backoff.failures === 1 ? '' : 's'} in a row)`);
  row('Reputation cache', s.cache ? `${s.cache.hashes} hashes (${s.cache.malicious} malicious) in ${s.cache.buckets} buckets` : 'empty');
  if (s.cloud) row('Cloud says', `${s.cloud.enabled ? `enabled for ${categoriesText(s.cloud.categories)}` : 'not enabled'} (recorded ${s.cloud.recorded_at})`);
  if (s.cloudError) row('Cloud says', `could not ask: ${s.cloudError.message}`);
  return lines;
}

/** Why events remain after a sync, in one line. */
function remainingWhy(r: SyncResult): string {
  switch (r.outcome) {
    case 'not_enabled':
      return 'the security network is not enabled ("vigil network enable" opts in)';
    case 'stopped':
      return r.stop ? `collection is stopped: ${STOP_WORDS[r.stop.reason]}${r.stop.decision?.reason ? ` (${r.stop.decision.reason})` : ''}` : 'collection is stopped';
    case 'unreachable':
      return `the cloud could not take them (${r.error?.message ?? 'no answer'}); they stay queued and are sent later${r.nextAttemptAt ? ` (next automatic try after ${r.nextAttemptAt})` : ''}`;
    case 'deadline':
      return 'time ran out (--timeout); they stay queued';
    case 'refused':
      return `the cloud refused this machine's activation (${r.error?.message ?? ''}); check "vigil license status"`;
    default:
      return 'some were set aside';
  }
}

export function registerNetworkCommand(program: Command): void {
  const network = program
    .command('network')
    .description('the security network: opt in or out of sharing detections, and what this machine has queued and sent');

  network
    .command('enable')
    .description('opt in: this machine reports detections (and optionally unknown executables) and checks files against the cloud')
    .option('--unknown-executables', 'also report PE and ELF files that neither the engine nor the cloud knows')
    .option('--max-queue <events>', 'keep at most this many events queued while the cloud cannot take them (default 100000)')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', `${WHAT_IS_SENT}\n\nThe consent is recorded by the cloud first, then on this machine.\nExit codes: 0 enabled, 1 refused (no usable license, not entitled), 2 usage or connection errors,\n3 a jurisdiction rule stops it.`)
    .action((flags: CommonFlags & { unknownExecutables?: boolean; maxQueue?: string }) =>
      run('enable the security network', flags.json, async () => {
        const maxEvents = integerOption('--max-queue', flags.maxQueue, QUEUE_MAX_EVENTS_RANGE[0], QUEUE_MAX_EVENTS_RANGE[1]);
        const agentDir = agentDirPath(flags.agentDir);
        const done = await enableNetwork({ agentDir, categories: flags.unknownExecutables ? ['detections', 'unknown-executables'] : ['detections'], ...(maxEvents === undefined ? {} : { maxEvents }) });
        if (flags.json) out(JSON.stringify({ ok: true, consent: done.consent, cloud: done.cloud, purged: done.purged }));
        else {
          out(`Enabled the security network for ${categoriesText(done.consent.categories)}: recorded by the cloud at ${done.cloud.recorded_at} and in ${agentDir}.`);
          if (flags.unknownExecutables && !done.consent.categories.includes('unknown-executables')) out('The cloud did not record consent for unknown executables: they are not reported.');
          if (done.purged > 0) out(`Deleted ${done.purged} queued unknown-executable event${done.purged === 1 ? '' : 's'} that you no longer consent to send.`);
          out('"vigil network disable" withdraws it at any time.');
        }
        return EXIT_OK;
      }),
    );

  network
    .command('disable')
    .description('withdraw consent: nothing more is sent from now on, queued events are deleted, and the cloud is told')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nThe withdrawal is stored on this machine first (nothing is sent from then on), then sent to the\ncloud; when the cloud cannot be reached, run it again later to tell the cloud.\nExit codes: 0 done (even when the cloud could not be told), 2 local errors.')
    .action((flags: CommonFlags) =>
      run('disable the security network', flags.json, async () => {
        const agentDir = agentDirPath(flags.agentDir);
        const done = await disableNetwork({ agentDir });
        if (flags.json) {
          const cloudError = done.cloudError ? { code: done.cloudError.code, message: done.cloudError.message } : null;
          out(JSON.stringify({ ok: true, consent: done.consent, purged: done.purged, cloud: done.cloud ?? null, cloud_error: cloudError }));
        } else {
          out(`Disabled the security network on this machine: nothing more is sent.${done.purged > 0 ? ` Deleted ${done.purged} queued event${done.purged === 1 ? '' : 's'} unsent.` : ''}`);
          if (done.cloud) out(`The cloud recorded the withdrawal at ${done.cloud.recorded_at}.`);
          else if (done.cloudError) err(`WARNING: the cloud could not be told (${done.cloudError.message}); run "vigil network disable" again when online.`);
          else out('This machine has no license activation, so there was no cloud to tell.');
        }
        return EXIT_OK;
      }),
    );

  network
    .command('status')
    .description('show the consent, the queue (waiting, dropped, sent), the last send and error, any stop, and the reputation cache')
    .option('--check', 'also ask the cloud what consent it holds (and lift a stop when it answers again)')
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nOffline unless --check. Exit codes: 0 shown, 2 errors.')
    .action((flags: CommonFlags & { check?: boolean }) =>
      run('show the security network status', flags.json, async () => {
        const status = await networkStatus({ agentDir: agentDirPath(flags.agentDir), check: flags.check ?? false });
        if (flags.json) out(JSON.stringify(statusJson(status)));
        else for (const line of formatStatus(status)) out(line);
        return EXIT_OK;
      }),
    );

  network
    .command('sync')
    .description('send the queued events now, retrying with backoff while the cloud is down')
    .option('--timeout <ms>', `keep trying this long, in milliseconds (default ${DEFAULT_SYNC_TIMEOUT_MS})`)
    .option('--agent-dir <dir>', AGENT_DIR_HELP)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nExit codes: 0 everything was sent, 1 events remain (a line says why), 2 errors.')
    .action((flags: CommonFlags & { timeout?: string }) =>
      run('send the queued events', flags.json, async () => {
        const totalTimeoutMs = integerOption('--timeout', flags.timeout, 1, 24 * 3600 * 1000);
        const r = await syncNetwork({ agentDir: agentDirPath(flags.agentDir), log: err, ...(totalTimeoutMs === undefined ? {} : { totalTimeoutMs }) });
        const all = r.remaining === 0;
        if (flags.json) {
          out(JSON.stringify({ ok: all, outcome: r.outcome, sent: r.sent, batches: r.batches, duplicates: r.duplicates, quarantined: r.quarantined, remaining: r.remaining, ...(all ? {} : { why: remainingWhy(r) }), stop: r.stop ?? null, next_attempt_at: r.nextAttemptAt ?? null }));
        } else {
          out(`Sent ${r.sent} event${r.sent === 1 ? '' : 's'} in ${r.batches} batch${r.batches === 1 ? '' : 'es'}${r.duplicates > 0 ? ` (${r.duplicates} the cloud already had)` : ''}.`);
          if (!all) out(`${r.remaining} event${r.remaining === 1 ? '' : 's'} remain${r.remaining === 1 ? 's' : ''}: ${remainingWhy(r)}.`);
          if (r.stop?.decision) for (const line of formatDecision(r.stop.decision, 'sending detection reports to the security network')) out(line);
        }
        return all ? EXIT_OK : EXIT_REFUSED;
      }),
    );
}
