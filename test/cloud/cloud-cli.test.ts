// The `vigil cloud` commands as an operator uses them: start on a data folder, administer it
// directly or through the running server, explain decisions, import locations, export the audit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, tempDir, vigil } from '../helpers/cli.js';

const SCENARIO = join(__dirname, '../../examples/policy/us-2024.json');
const children: ChildProcess[] = [];
const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) d.cleanup();
});

function tempDirFor(): string {
  const d = tempDir('vigil-cloud-cli-');
  dirs.push(d);
  return d.path;
}
const dataDir = tempDirFor;

/** Starts `vigil cloud` and waits for its banner. */
function startServer(data: string): Promise<{ url: string; token: string | undefined; output: () => string; child: ChildProcess }> {
  const tokenFile = join(tempDirFor(), 'operator-token');
  const child = spawn(process.execPath, [CLI, 'cloud', '--data', data, '--port', '0', '--log-level', 'silent', '--token-file', tokenFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url && out.includes('API description')) {
        clearInterval(timer);
        resolve({ url, token: existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined, output: () => out, child });
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`vigil cloud exited ${String(code)}: ${out}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code))));
}

describe('vigil cloud', () => {
  it('starts on new data with a one-time operator token, and reuses the data on the next start', async () => {
    const data = dataDir();
    const first = await startServer(data);
    expect(first.token).toMatch(/^vigil_tok_/);
    const me = await fetch(`${first.url}/v1/me`, { headers: { authorization: `Bearer ${first.token!}` } });
    expect(me.status).toBe(200);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);

    const second = await startServer(data);
    expect(second.token).toBeUndefined();
    expect(second.output()).toContain('Using existing data');
    const again = await fetch(`${second.url}/v1/me`, { headers: { authorization: `Bearer ${first.token!}` } });
    expect(again.status).toBe(200);
  });

  it('imports, lists and explains the reference scenario on a data folder', () => {
    const data = dataDir();
    const imported = vigil(['cloud', 'policy', 'import', '--data', data, SCENARIO]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toMatch(/Imported 10 rule\(s\)/);
    const list = vigil(['cloud', 'policy', 'list', '--data', data]);
    expect(list.stdout.trim().split('\n')).toHaveLength(10);

    const explain = (args: string[]) => vigil(['cloud', 'policy', 'explain', '--data', data, ...args]);
    const deny = explain(['--location', 'US', '--person', 'DE', '--action', 'update', '--at', '2024-09-29T04:00:00Z']);
    expect(deny.code).toBe(0);
    expect(deny.stdout).toMatch(/^deny: rule rul_\S+ v1 \(US, by location\)/);
    const before = explain(['--location', 'US', '--person', 'DE', '--action', 'update', '--at', '2024-09-28T23:59:59', '--zone', 'America/New_York']);
    expect(before.stdout).toMatch(/^notice: .*\(DE, by person\)/);
    const json = explain(['--person', 'US', '--location', 'FR', '--action', 'license.sell', '--at', '2024-07-20T00:00:00-04:00', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ decision: 'deny', attribute: 'person', jurisdiction: 'US' });
    // Nothing asked with explain is recorded.
    const audit = vigil(['cloud', 'audit', 'export', '--data', data]);
    expect(audit.stdout).not.toContain('policy.decision');
  });

  it('refuses bad input with a clear message and exit 2, writing nothing', () => {
    const data = dataDir();
    const bad = join(data, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', rules: [{ jurisdiction: 'US', applies_to: 'either', action: 'update', effect: 'ban', from: 'yesterday', reason: 'r', reference: 'x' }] }));
    const r = vigil(['cloud', 'policy', 'import', '--data', data, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rules.0.effect');
    expect(r.stderr).toContain('rules.0.from');
    writeFileSync(bad, '{"name": "x", "rules": [');
    expect(vigil(['cloud', 'policy', 'import', '--data', data, bad]).stderr).toMatch(/bad\.json: not valid JSON/);
    expect(vigil(['cloud', 'policy', 'list', '--data', data]).stdout).toBe('No rules.\n');
    const explain = vigil(['cloud', 'policy', 'explain', '--data', data, '--action', 'fly']);
    expect(explain.code).toBe(2);
    expect(explain.stderr).toContain('--action');
    expect(vigil(['cloud', 'policy', 'explain', '--data', data, '--action', 'update', '--at', '2024-13-01T00:00:00Z']).code).toBe(2);
  });

  it('works the same through a running server with --url and --token', async () => {
    const data = dataDir();
    const server = await startServer(data);
    const remote = ['--url', server.url, '--token', server.token!];
    expect(vigil(['cloud', 'policy', 'import', ...remote, SCENARIO]).code).toBe(0);
    expect(vigil(['cloud', 'policy', 'list', ...remote]).stdout.trim().split('\n')).toHaveLength(10);
    const explain = vigil(['cloud', 'policy', 'explain', ...remote, '--location', 'US', '--person', 'DE', '--action', 'update', '--at', '2024-09-29T04:00:00Z', '--json']);
    expect(JSON.parse(explain.stdout)).toMatchObject({ decision: 'deny', attribute: 'location' });
    const wrong = vigil(['cloud', 'policy', 'list', '--url', server.url, '--token', 'vigil_tok_nope.x']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/invalid, expired or revoked/);
  });

  it('imports plain and GeoLite2 CSV location tables, refusing broken ones with file and line', () => {
    const data = dataDir();
    const plain = join(data, 'nets.csv');
    writeFileSync(plain, 'cidr,country\n198.51.100.0/24,US\n2001:db8::/32,DE\n');
    const r = vigil(['cloud', 'geo', 'import', '--data', data, plain]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Imported 2 ranges for 2 countries/);

    const geo = join(data, 'geolite');
    mkdirSync(geo);
    writeFileSync(join(geo, 'GeoLite2-Country-Blocks-IPv4.csv'), 'network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,is_satellite_provider\n203.0.113.0/24,3017382,3017382,,0,0\n');
    writeFileSync(join(geo, 'GeoLite2-Country-Locations-en.csv'), 'geoname_id,locale_code,continent_code,continent_name,country_iso_code,country_name,is_in_european_union\n3017382,en,EU,Europe,FR,France,1\n');
    expect(vigil(['cloud', 'geo', 'import', '--data', data, '--geolite2', geo]).stdout).toMatch(/Imported 1 ranges for 1 countries/);

    writeFileSync(plain, 'cidr,country\n198.51.100.0/24,US\n10.0.0/8,XX\n');
    const bad = vigil(['cloud', 'geo', 'import', '--data', data, plain]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nets.csv:3');
  });

  it('mints a recovery operator token and exports an audit log that verifies', () => {
    const data = dataDir();
    const token = vigil(['cloud', 'token', '--data', data]);
    expect(token.stdout.trim()).toMatch(/^vigil_tok_\S+$/);
    // On new data the bootstrap token is the one handed out: no second, unseen token.
    expect(vigil(['cloud', 'audit', 'export', '--data', data]).stdout.match(/"token\.create"/g)).toHaveLength(1);
    // The store is the vendor's alone: owner-only folder and file.
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(join(data, 'vigil.sqlite')).mode & 0o777).toBe(0o600);
    const file = join(data, 'audit.jsonl');
    expect(vigil(['cloud', 'audit', 'export', '--data', data, '--out', file]).code).toBe(0);
    const verify = vigil(['audit', 'log', 'verify', file]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/OK \(\d+ records/);
  });

  it('keeps the one-time token for a start that works, and reports a taken port in one line', async () => {
    const first = await startServer(dataDir());
    const port = new URL(first.url).port;
    const data = dataDir();
    const taken = vigil(['cloud', '--data', data, '--port', port, '--log-level', 'silent']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/^ERROR: .*EADDRINUSE/);
    expect(taken.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const second = await startServer(data);
    expect(second.token).toMatch(/^vigil_tok_/);
    expect(vigil(['cloud', '--log-level', 'loud']).code).toBe(2);
  });

  it('has --help on every cloud command', () => {
    for (const cmd of [['cloud'], ['cloud', 'policy'], ['cloud', 'policy', 'import'], ['cloud', 'policy', 'list'], ['cloud', 'policy', 'explain'], ['cloud', 'geo', 'import'], ['cloud', 'token'], ['cloud', 'audit', 'export'], ['audit', 'log', 'verify']]) {
      const r = vigil([...cmd, '--help']);
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout, cmd.join(' ')).toMatch(/Usage: vigil/);
    }
  });
});
