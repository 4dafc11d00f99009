#!/usr/bin/env node
// Load test of the cloud's policy gate through its HTTP API: requests/s and latency of
// `POST /v1/policy/decisions` (decides and appends an audit record: one write per request) and of
// `POST /v1/policy/what-if` (decides, writes nothing), on SQLite and on PostgreSQL, against a bare
// node:http server measured in the same run on the same machine as the ceiling.
//
//   node bench/cloud-decide.mjs [--duration 10] [--warmup 2] [--connections 16] [--no-postgres]
//                               [--no-build] [--no-append] [--quiet-wait-s 60] [--results bench/RESULTS.md]
//
// Every server is a child process on 127.0.0.1 with an ephemeral port; autocannon runs in this
// process, so the load generator has its own event loop (the machine's cores are shared, though).
// Each run is bounded (fixed duration and connections) and checked afterwards: every answer 200
// with decision "deny", and for recorded decisions the audit log grown by exactly the answered
// requests plus at most one abandoned in-flight request per connection, its export verifying.
// Children, temporary folders and the PostgreSQL cluster are removed even on failure.
// See bench/README.md ("Cloud: policy decisions under load").
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildSnapshot, cpuSnapshot, cpuUse, DATA_DIR, fmt, fmtInt, log, machineInfo, own, parseArgs, percentile, probeFsync, release, releaseAll, REPO_DIR, sh, sleep, startChild, stopChild, tempDir, waitQuiet } from './lib.mjs';
import { ensurePostgresInstalled, startPostgres, stopPostgres } from '../scripts/postgres.mjs';

const args = parseArgs(process.argv.slice(2), {
  duration: 10,
  warmup: 2,
  connections: 16,
  postgres: true,
  build: true,
  append: true,
  quietWaitS: 60,
  results: join(REPO_DIR, 'bench', 'RESULTS.md'),
});
if (!(args.duration >= 1 && args.duration <= 600)) throw new Error(`--duration: ${args.duration} s is outside 1..600`);
if (!(args.warmup >= 0 && args.warmup <= 60)) throw new Error(`--warmup: ${args.warmup} s is outside 0..60`);
if (!(Number.isInteger(args.connections) && args.connections >= 1 && args.connections <= 256)) throw new Error(`--connections: ${args.connections} is not an integer in 1..256`);

/** Requests per minute per token: far above anything this machine can serve, so the limiter never answers 429. */
const RATE_LIMIT = 100_000_000;
/** Updates and downloads for US persons are denied from 2024-09-29 00:00 US Eastern (EDT, UTC-4). */
const US_UPDATE_DENY_FROM = Date.parse('2024-09-29T04:00:00Z');
const POLICY_FILE = join(REPO_DIR, 'examples', 'policy', 'us-2024.json');
const SNAPSHOT = join(DATA_DIR, 'cloud-snapshot');
const VIGIL = args.build ? join(SNAPSHOT, 'dist', 'cli', 'main.js') : join(REPO_DIR, 'dist', 'cli', 'main.js');

function vigilCli(cmdArgs, options = {}) {
  const r = sh(process.execPath, [VIGIL, ...cmdArgs], options);
  if (r.status !== 0) throw new Error(`vigil ${cmdArgs.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// ---------- HTTP ----------

async function api(url, method, path, token, body) {
  const response = await fetch(new URL(path, url), {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
  return { json: JSON.parse(text), bytes: Buffer.byteLength(text) };
}

async function auditHead(server) {
  return (await api(server.url, 'GET', '/v1/audit/head', server.operatorToken)).json;
}

/** The head once it stops moving (requests abandoned by the load generator still finish on the server). */
async function settledAuditHead(server) {
  let last = await auditHead(server);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await auditHead(server);
    if (now.seq === last.seq) return now;
    last = now;
  }
  throw new Error('the audit head kept moving 10 s after the load stopped');
}

// ---------- the load ----------

/**
 * One autocannon run. `check(body)` returns an error text for a wrong answer, or null; answers that
 * fail it count as autocannon "mismatches". Latencies are taken from autocannon's response events
 * (hrtime, sub-millisecond), not its histogram, which keeps whole milliseconds only.
 */
function cannon(target, seconds, { check, pids }) {
  const latencies = [];
  const wrong = [];
  return new Promise((resolve, reject) => {
    const before = cpuSnapshot(pids);
    const tracker = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: target.headers,
        body: target.body,
        connections: args.connections,
        duration: seconds,
        timeout: 10,
        verifyBody: (body) => {
          const problem = check(body);
          if (problem && wrong.length < 5) wrong.push(problem);
          return problem === null;
        },
      },
      (err, result) => {
        if (err) return reject(err);
        const cpu = cpuUse(before, cpuSnapshot(pids));
        latencies.sort((a, b) => a - b);
        resolve({ result, latencies, wrong, cpu });
      },
    );
    tracker.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

function parseDecision(body) {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

/** Warm-up, then the measured run, then the checks common to every target. */
async function measure(label, target, { check, pids, onBeforeMeasure }) {
  log(`${label}: waiting for a quiet machine, ${args.warmup} s warm-up, ${args.duration} s measured, ${args.connections} connections`);
  const busyBefore = await waitQuiet(args.quietWaitS);
  if (args.warmup > 0) {
    const w = await cannon(target, args.warmup, { check, pids });
    const bad = w.result.non2xx + w.result.errors + w.result.mismatches;
    if (bad) throw new Error(`${label}: warm-up had ${w.result.non2xx} non-2xx, ${w.result.errors} errors, ${w.result.mismatches} wrong answers: ${w.wrong.join(' | ')}`);
  }
  const context = onBeforeMeasure ? await onBeforeMeasure() : undefined;
  const m = await cannon(target, args.duration, { check, pids });
  const r = m.result;
  const completed = r.requests.total;
  const row = {
    label,
    busyBefore,
    duration: r.duration,
    completed,
    rps: completed / r.duration,
    p50: percentile(m.latencies, 50),
    p99: percentile(m.latencies, 99),
    max: m.latencies[m.latencies.length - 1],
    autocannon: { p50: r.latency.p50, p99: r.latency.p99, average: r.latency.average, requestsAverage: r.requests.average },
    status: { '2xx': r['2xx'], non2xx: r.non2xx, statusCodeStats: r.statusCodeStats, errors: r.errors, timeouts: r.timeouts, resets: r.resets, mismatches: r.mismatches },
    latencySamples: m.latencies.length,
    wrong: m.wrong,
    cpu: m.cpu,
    context,
  };
  const problems = [];
  if (r.non2xx !== 0) problems.push(`${r.non2xx} non-2xx answers (${JSON.stringify(r.statusCodeStats)})`);
  if (r.errors !== 0) problems.push(`${r.errors} errors (${r.timeouts} timeouts)`);
  if (r.mismatches !== 0) problems.push(`${r.mismatches} wrong answers: ${m.wrong.join(' | ')}`);
  if (r['2xx'] !== completed) problems.push(`2xx count ${r['2xx']} differs from completed requests ${completed}`);
  if (m.latencies.length !== completed) problems.push(`${m.latencies.length} latency samples for ${completed} completed requests`);
  if (completed === 0) problems.push('no request completed');
  row.problems = problems;
  log(`  ${fmtInt(row.rps)} requests/s, p50 ${fmt(row.p50, 2)} ms, p99 ${fmt(row.p99, 2)} ms, ${fmtInt(completed)} requests; CPU (cores): server ${fmt(m.cpu.server, 2)}, store ${fmt(m.cpu.store, 2)}, load generator ${fmt(m.cpu.loadgen, 2)}, interrupts ${fmt(m.cpu.irq, 2)}, other ${fmt(m.cpu.other, 2)}${problems.length ? `; PROBLEMS: ${problems.join('; ')}` : ''}`);
  return row;
}

// ---------- the targets ----------

/** The decision answer the bare server sends: same shape and about the same size as vigil's. */
function bareAnswer() {
  const rule = JSON.parse(readFileSync(POLICY_FILE, 'utf8')).rules.find((r) => r.jurisdiction === 'US' && r.action === 'update');
  return JSON.stringify({
    decision: 'deny',
    action: 'update',
    at: new Date().toISOString(),
    rule: { id: 'rul_AAAAAAAAAAAAAAAA', version: 1 },
    attribute: 'person',
    jurisdiction: 'US',
    reason: rule.reason,
    reference: rule.reference,
    since: new Date(US_UPDATE_DENY_FROM).toISOString(),
    subject: { person: 'US' },
    location_source: 'unknown',
    audit_seq: 123456,
  });
}

// A plain node:http server: reads and parses the JSON body, answers a fixed JSON body. No framework,
// no authentication, no store: what this machine's node can do for a request of this size.
const BARE_SERVER = `
const http = require('node:http');
const answer = Buffer.from(process.env.BENCH_ANSWER);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try { JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { res.writeHead(400).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 72000;
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

const listeningUrl = (stdout) => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];

async function benchBare(label, answer) {
  const server = await startChild('bare node:http server', process.execPath, ['-e', BARE_SERVER], (out) => {
    const url = listeningUrl(out);
    return url ? { url } : undefined;
  }, { env: { ...process.env, BENCH_ANSWER: answer } });
  try {
    const target = { url: `${server.url}/v1/policy/decisions`, headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: JSON.stringify({ action: 'update' }) };
    const check = (body) => (parseDecision(body)?.decision === 'deny' ? null : `not a deny decision: ${body.slice(0, 200)}`);
    return await measure(label, target, { check, pids: { server: server.child.pid } });
  } finally {
    await stopChild(server);
  }
}

/** Starts `vigil cloud` on a fresh store with the us-2024 rules, a US customer tenant, an endpoint and its token. */
async function startVigil(name, dataDir, storeArgs) {
  vigilCli(['cloud', 'policy', 'import', ...storeArgs, POLICY_FILE], { cwd: dataDir });
  const server = await startChild(
    `vigil cloud (${name})`,
    process.execPath,
    [VIGIL, 'cloud', ...storeArgs, '--port', '0', '--host', '127.0.0.1', '--rate-limit', String(RATE_LIMIT), '--log-level', 'silent'],
    (out) => {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const token = /(vigil_tok_\S+)/.exec(out)?.[1];
      return url && token && out.includes('API description:') ? { url, operatorToken: token } : undefined;
    },
    { cwd: dataDir },
  );
  const tenant = (await api(server.url, 'POST', '/v1/tenants', server.operatorToken, { name: 'Benchmark customer (US)', country: 'US' })).json;
  // No country on the endpoint and no CIDR table: the location is unknown, the tenant (a US person) decides.
  const endpoint = (await api(server.url, 'POST', `/v1/tenants/${tenant.id}/endpoints`, server.operatorToken, { name: 'benchmark endpoint' })).json;
  server.endpointToken = (await api(server.url, 'POST', '/v1/tokens', server.operatorToken, { endpoint_id: endpoint.id })).json.token;
  server.endpointId = endpoint.id;
  return server;
}

/** Exports the audit log with the CLI, pipes it into `vigil audit log verify -`, and tallies its records. */
function verifyAuditExport(storeArgs, cwd, head, ranges) {
  return new Promise((resolve, reject) => {
    const exporter = spawn(process.execPath, [VIGIL, 'cloud', 'audit', 'export', ...storeArgs], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const verifier = spawn(process.execPath, [VIGIL, 'audit', 'log', 'verify', '-', '--json', '--expect-head', head.hash, '--expect-count', String(head.seq)], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    for (const c of [exporter, verifier]) own(`audit check (pid ${c.pid})`, { stop: () => undefined, kill: () => c.exitCode === null && c.kill('SIGKILL') });
    exporter.stdout.pipe(verifier.stdin);
    const tally = ranges.map((r) => ({ ...r, decisions: 0, deny: 0, others: 0, endpointActor: 0 }));
    let rest = '';
    let lines = 0;
    exporter.stdout.on('data', (chunk) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop();
      for (const line of parts) {
        if (!line) continue;
        lines++;
        const rec = JSON.parse(line);
        for (const t of tally) {
          if (rec.seq <= t.from || rec.seq > t.to) continue;
          if (rec.kind !== 'policy.decision') t.others++;
          else {
            t.decisions++;
            if (rec.data?.decision?.decision === 'deny') t.deny++;
            if (rec.actor === t.actor) t.endpointActor++;
          }
        }
      }
    });
    let exportErr = '';
    let verifyOut = '';
    let verifyErr = '';
    exporter.stderr.on('data', (d) => (exportErr += d));
    verifier.stdout.on('data', (d) => (verifyOut += d));
    verifier.stderr.on('data', (d) => (verifyErr += d));
    const done = (c) => new Promise((r) => c.once('close', (code) => r(code)));
    Promise.all([done(exporter), done(verifier)]).then(([exportCode, verifyCode]) => {
      let verdict = null;
      try {
        verdict = JSON.parse(verifyOut);
      } catch {
        // reported below
      }
      resolve({ exportCode, verifyCode, verdict, lines, tally, exportStderr: exportErr.trim(), verifyStderr: verifyErr.trim() });
    }, reject);
  });
}

async function benchVigil(name, storeArgs, dataDir, storePid) {
  const server = await startVigil(name, dataDir, storeArgs);
  const pids = { server: server.child.pid, store: storePid() };
  try {
    const now = new Date();
    if (now.getTime() <= US_UPDATE_DENY_FROM) throw new Error(`the clock says ${now.toISOString()}, before the US update ban: decisions would be allow`);
    // One of each by hand first: the shape and size of the answers.
    const sampleDecision = await api(server.url, 'POST', '/v1/policy/decisions', server.endpointToken, { action: 'update' });
    const whatIfBody = { action: 'update', location: 'US', person: 'US', at: now.toISOString() };
    const sampleWhatIf = await api(server.url, 'POST', '/v1/policy/what-if', server.operatorToken, whatIfBody);
    for (const [what, s] of [['decision', sampleDecision], ['what-if', sampleWhatIf]]) {
      if (s.json.decision !== 'deny') throw new Error(`${name}: the sample ${what} is ${JSON.stringify(s.json)}, not deny`);
    }

    // Recorded decisions: every answer carries its own audit sequence number, each seen once.
    const seen = new Set();
    let duplicate = 0;
    const decisions = await measure(
      `${name}: POST /v1/policy/decisions (recorded)`,
      { url: `${server.url}/v1/policy/decisions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${server.endpointToken}` }, body: JSON.stringify({ action: 'update' }) },
      {
        pids,
        check: (body) => {
          const d = parseDecision(body);
          if (d?.decision !== 'deny' || d.action !== 'update' || d.subject?.person !== 'US' || !Number.isInteger(d.audit_seq)) return `unexpected answer: ${body.slice(0, 200)}`;
          if (seen.has(d.audit_seq)) duplicate++;
          seen.add(d.audit_seq);
          return null;
        },
        onBeforeMeasure: async () => {
          seen.clear();
          return { headBefore: await settledAuditHead(server) };
        },
      },
    );
    const headAfter = await settledAuditHead(server);
    const from = decisions.context.headBefore.seq;
    const growth = headAfter.seq - from;
    const seqs = [...seen];
    const outside = seqs.filter((s) => s <= from || s > headAfter.seq).length;
    decisions.audit = { from, to: headAfter.seq, growth, distinctSeqs: seen.size, duplicate, outside, abandoned: growth - decisions.completed };
    if (duplicate) decisions.problems.push(`${duplicate} audit sequence numbers answered twice`);
    if (outside) decisions.problems.push(`${outside} audit sequence numbers outside (${from}, ${headAfter.seq}]`);
    if (seen.size !== decisions.completed) decisions.problems.push(`${seen.size} distinct audit sequence numbers for ${decisions.completed} answers`);
    // autocannon closes its connections when time is up; requests in flight then still finish on the server.
    if (growth < decisions.completed || growth > decisions.completed + args.connections) {
      decisions.problems.push(`the audit log grew by ${growth} records for ${decisions.completed} answered requests (at most ${args.connections} more were allowed for requests in flight at the end)`);
    }
    log(`  audit log grew by ${growth} for ${decisions.completed} answered requests (${growth - decisions.completed} abandoned in flight at the end)`);

    // What-if: decides, writes nothing (the audit head must not move).
    const whatIf = await measure(
      `${name}: POST /v1/policy/what-if (not recorded)`,
      { url: `${server.url}/v1/policy/what-if`, headers: { 'content-type': 'application/json', authorization: `Bearer ${server.operatorToken}` }, body: JSON.stringify(whatIfBody) },
      {
        pids,
        check: (body) => {
          const d = parseDecision(body);
          return d?.decision === 'deny' && d.action === 'update' && d.at === whatIfBody.at ? null : `unexpected answer: ${body.slice(0, 200)}`;
        },
        onBeforeMeasure: async () => ({ headBefore: await settledAuditHead(server) }),
      },
    );
    const headAfterWhatIf = await settledAuditHead(server);
    whatIf.audit = { from: whatIf.context.headBefore.seq, to: headAfterWhatIf.seq, growth: headAfterWhatIf.seq - whatIf.context.headBefore.seq };
    if (whatIf.audit.growth !== 0) whatIf.problems.push(`what-if wrote ${whatIf.audit.growth} audit records`);

    // The whole log, exported by the CLI and verified offline against the head the API reports.
    log(`${name}: exporting the audit log (${fmtInt(headAfterWhatIf.seq)} records) and verifying it`);
    const exported = await verifyAuditExport(storeArgs, dataDir, headAfterWhatIf, [{ from, to: headAfter.seq, actor: `endpoint:${server.endpointId}` }]);
    const t = exported.tally[0];
    const auditProblems = [];
    if (exported.exportCode !== 0) auditProblems.push(`export exited ${exported.exportCode}: ${exported.exportStderr}`);
    if (exported.verifyCode !== 0 || exported.verdict?.ok !== true) auditProblems.push(`verify exited ${exported.verifyCode}: ${JSON.stringify(exported.verdict)} ${exported.verifyStderr}`);
    if (exported.verdict?.count !== headAfterWhatIf.seq || exported.verdict?.head !== headAfterWhatIf.hash) auditProblems.push(`verify saw ${exported.verdict?.count} records ending at ${exported.verdict?.head}; the API head is ${headAfterWhatIf.seq} ${headAfterWhatIf.hash}`);
    if (exported.lines !== headAfterWhatIf.seq) auditProblems.push(`the export has ${exported.lines} lines for ${headAfterWhatIf.seq} records`);
    if (t.decisions !== growth || t.deny !== growth || t.others !== 0 || t.endpointActor !== growth) {
      auditProblems.push(`records ${from + 1}..${headAfter.seq}: ${t.decisions} decisions (${t.deny} deny, ${t.endpointActor} by the endpoint), ${t.others} other records; expected ${growth} deny decisions by the endpoint`);
    }
    decisions.export = { ...exported, tally: t, problems: auditProblems };
    decisions.problems.push(...auditProblems);
    log(`  export: ${exported.lines} records; verify: ${exported.verdict?.ok ? `OK (${exported.verdict.count} records, head ${exported.verdict.head.slice(0, 12)}...)` : 'FAILED'}; measured range: ${t.deny}/${growth} deny decisions by the endpoint${auditProblems.length ? `; PROBLEMS: ${auditProblems.join('; ')}` : ''}`);

    return { name, decisions, whatIf, sampleBytes: { decision: sampleDecision.bytes, whatIf: sampleWhatIf.bytes } };
  } finally {
    await stopChild(server);
  }
}

// ---------- report ----------

function report(machine, rows, ceiling, vigil, answerBytes) {
  const L = [];
  const cores = (x) => fmt(x, 2);
  L.push(`## ${machine.date.slice(0, 19).replace('T', ' ')} UTC: cloud policy decisions under load (autocannon, ${args.connections} connections, ${args.duration} s per target)`);
  L.push('');
  L.push(`Machine: ${machine.cores} cores (${machine.cpu}), ${fmt(machine.memGiB, 1)} GiB RAM, kernel ${machine.kernel}; node ${machine.node}; ${machine.postgres}; autocannon ${machine.autocannon}; vigil ${machine.vigil} built from ${machine.vigilCommit}${machine.vigilDirty ? ' plus uncommitted changes in src/' : ''}; SQLite file and PostgreSQL cluster on ${machine.tmpFs} (${tmpdir()}), where a 4 KiB write + fdatasync took ${fmt(machine.fsyncStart.median, 3)} ms (median of 200; p90 ${fmt(machine.fsyncStart.p90, 3)} ms) at the start and ${fmt(machine.fsyncEnd.median, 3)} ms (p90 ${fmt(machine.fsyncEnd.p90, 3)} ms) at the end; load average at start ${machine.loadavg}.`);
  L.push('');
  L.push('```');
  L.push(`$ free -g\n${machine.free}`);
  L.push('```');
  L.push('');
  L.push(
    `Each target is a child process on 127.0.0.1 (ephemeral port); autocannon runs in the benchmark's own process, so all of them share the machine's ${machine.cores} cores (the CPU columns say who used them). ` +
      `Per target: a wait for a quiet machine, ${args.warmup} s warm-up, then ${args.duration} s with ${args.connections} connections, no pipelining. ` +
      `requests/s = answered requests / run time; p50 and p99 from every answer's latency as autocannon timed it. ` +
      `vigil: \`vigil cloud --rate-limit ${RATE_LIMIT} --log-level silent\` on a fresh SQLite data folder or a fresh PostgreSQL 15 cluster (\`--store\`; fsync on), with examples/policy/us-2024.json imported and a customer tenant (country US) with one endpoint. ` +
      `"decisions" is \`POST /v1/policy/decisions {"action":"update"}\` with the endpoint's token (one transaction that decides and appends a hash-chained audit record); "what-if" is \`POST /v1/policy/what-if\` with the operator token (decides, writes nothing). ` +
      `Ceiling: a bare node:http server that parses the JSON body and answers a fixed ${answerBytes}-byte decision (vigil's answers: ${vigil.map((v) => `${v.sampleBytes.decision} bytes (decision) / ${v.sampleBytes.whatIf} bytes (what-if) on ${v.name}`).join(', ')}), measured first and last; ratios are to the mean of the two (${fmtInt(ceiling)} requests/s).`,
  );
  L.push('');
  L.push('| target | requests/s | p50 ms | p99 ms | vs ceiling | answered | vigil server CPU | PostgreSQL CPU | load generator CPU | interrupts (loopback network) | other processes |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    L.push(`| ${r.label} | ${fmtInt(r.rps)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.rps / ceiling, 3)} | ${fmtInt(r.completed)} | ${cores(r.cpu.server)} | ${r.cpu.store ? cores(r.cpu.store) : '-'} | ${cores(r.cpu.loadgen)} | ${cores(r.cpu.irq)} | ${cores(r.cpu.other)} |`);
  }
  L.push('');
  L.push('CPU columns are average cores over the measured run (the server column is the bare server for the ceiling rows).');
  L.push('');
  L.push('Checks (every answer 200 with decision "deny"; recorded decisions: audit growth, export verified by `vigil cloud audit export | vigil audit log verify -`):');
  L.push('');
  L.push('| target | non-2xx / errors / wrong answers | audit records added | of which in flight at the end | export + verify |');
  L.push('|---|---|---|---|---|');
  for (const r of rows) {
    const s = r.status;
    const audit = r.audit ? (r.audit.abandoned !== undefined ? `${fmtInt(r.audit.growth)} for ${fmtInt(r.completed)} answers` : `${r.audit.growth}`) : '-';
    const inflight = r.audit?.abandoned !== undefined ? `${r.audit.abandoned} (at most ${args.connections})` : '-';
    const exp = r.export ? (r.export.problems.length ? `**failed**: ${r.export.problems.join('; ')}` : `OK: ${fmtInt(r.export.verdict.count)} records, all ${fmtInt(r.export.tally.deny)} in the run deny decisions by the endpoint`) : '-';
    L.push(`| ${r.label} | ${s.non2xx} / ${s.errors} / ${s.mismatches} | ${audit} | ${inflight} | ${exp} |`);
  }
  const failed = rows.filter((r) => r.problems.length);
  if (failed.length) {
    L.push('');
    L.push(`**Problems:** ${failed.map((r) => `${r.label}: ${r.problems.join('; ')}`).join(' | ')}`);
  }
  L.push('');
  return L.join('\n');
}

// ---------- main ----------

async function main() {
  if (args.build) buildSnapshot(SNAPSHOT);
  else if (!existsSync(VIGIL)) throw new Error(`${VIGIL} is missing: run npm run build`);
  if (args.postgres && !ensurePostgresInstalled()) throw new Error('PostgreSQL 15 is not available here (see scripts/postgres.mjs); --no-postgres skips it');
  const machine = machineInfo(VIGIL);
  log(`machine: ${machine.cores} cores, ${machine.cpu}, ${fmt(machine.memGiB, 1)} GiB, node ${machine.node}, ${machine.postgres}, load average ${machine.loadavg}, fdatasync ${fmt(machine.fsyncStart.median, 3)} ms (p90 ${fmt(machine.fsyncStart.p90, 3)})`);

  const answer = bareAnswer();
  const rows = [];
  const vigil = [];
  try {
    rows.push(await benchBare('bare node:http (ceiling, first)', answer));

    const sqliteDir = tempDir('vigil-bench-sqlite-');
    const sqlite = await benchVigil('SQLite', ['--data', sqliteDir], sqliteDir, () => undefined);
    vigil.push(sqlite);
    rows.push({ ...sqlite.decisions, label: 'vigil on SQLite: decisions (recorded)' }, { ...sqlite.whatIf, label: 'vigil on SQLite: what-if (not recorded)' });

    if (args.postgres) {
      const pgDir = mkdtempSync(join(tmpdir(), 'vigil-bench-pg-'));
      const cluster = own(`PostgreSQL cluster in ${pgDir}`, { stop: () => stopPostgres(pgDir), kill: () => stopPostgres(pgDir) });
      const pg = await startPostgres(pgDir);
      log(`PostgreSQL started on ${pg.url}`);
      const postmaster = Number(readFileSync(join(pgDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const workDir = tempDir('vigil-bench-pgdata-');
      const postgres = await benchVigil('PostgreSQL', ['--store', pg.url], workDir, () => postmaster);
      vigil.push(postgres);
      rows.push({ ...postgres.decisions, label: 'vigil on PostgreSQL: decisions (recorded)' }, { ...postgres.whatIf, label: 'vigil on PostgreSQL: what-if (not recorded)' });
      await release(cluster);
    }

    rows.push(await benchBare('bare node:http (ceiling, last)', answer));
  } finally {
    await releaseAll();
  }

  machine.fsyncEnd = probeFsync();
  const bare = rows.filter((r) => r.label.startsWith('bare'));
  const ceiling = bare.reduce((s, r) => s + r.rps, 0) / bare.length;
  const md = report(machine, rows, ceiling, vigil, Buffer.byteLength(answer));
  console.log(`\n${md}`);
  mkdirSync(DATA_DIR, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const raw = join(DATA_DIR, `cloud-decide-${stamp}.json`);
  writeFileSync(raw, `${JSON.stringify({ args, machine, ceiling, rows: rows.map(({ context, ...r }) => r) }, null, 2)}\n`);
  const failed = rows.filter((r) => r.problems.length);
  if (args.append) {
    if (!existsSync(args.results)) writeFileSync(args.results, '# Benchmark results\n\nAppended by `npm run bench` (bench/run.mjs); see bench/README.md for what each number means.\n\n');
    appendFileSync(args.results, `${md}\n`);
    log(`appended to ${relative(REPO_DIR, args.results)}; raw numbers in ${relative(REPO_DIR, raw)}`);
  }
  if (failed.length) {
    console.error(`checks failed: ${failed.map((r) => r.label).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch(async (e) => {
  console.error(e.stack ?? e);
  await releaseAll();
  process.exit(1);
});
