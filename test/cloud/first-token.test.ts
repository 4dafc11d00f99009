// Issue 16 item 12: the first operator token is a secret; it goes only to the terminal that started
// the server or to a new 0600 file the operator names, once, and never to standard output or the log.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, vigil } from '../helpers/cli.js';
import { freshLocation, httpRequest, pollUntil, spawnCloud, tokenFilePath, waitForExit } from './process-harness.js';

describe('the first operator token', () => {
  it('is written once to a new --token-file with mode 0600, and never to standard output or the log', async () => {
    const location = await freshLocation('sqlite');
    const file = tokenFilePath();
    const first = spawnCloud(location, ['--token-file', file, '--log-level', 'info']);
    const banner = await first.ready;
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^vigil_tok_\S+$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.stdout()).toContain(`Its token was written to ${file} (mode 0600)`);
    const me = await httpRequest(`${banner.url}/v1/me`, { token });
    expect(me.kind === 'answered' && me.status).toBe(200);
    expect(first.stdout() + first.stderr()).not.toContain('vigil_tok_');
    first.kill('SIGTERM');
    await waitForExit(first, 'after SIGTERM');

    const second = spawnCloud(location, ['--token-file', file, '--log-level', 'info']);
    await second.ready;
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(second.stdout()).toContain('Using existing data');
    expect(second.stdout() + second.stderr()).not.toContain('vigil_tok_');
  });

  it('refuses a --token-file that exists, creating no account, so the next start still hands one out', async () => {
    const location = await freshLocation('sqlite');
    const planted = tokenFilePath();
    writeFileSync(planted, 'already here\n');
    const refused = spawnCloud(location, ['--token-file', planted]);
    expect((await waitForExit(refused, 'with a taken token file')).code).toBe(2);
    expect(refused.stderr()).toMatch(/EEXIST/);
    expect(readFileSync(planted, 'utf8')).toBe('already here\n');
    const next = spawnCloud(location);
    expect((await next.ready).token).toMatch(/^vigil_tok_/);
  });

  it('without a terminal or a token file, makes no token and says how to mint one', async () => {
    const location = await freshLocation('sqlite');
    // detached: a new session, so the server has no controlling terminal.
    const child = spawn(process.execPath, [CLI, 'cloud', '--data', location.dataDir, '--port', '0', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      expect(await pollUntil(() => out.includes('API description'), () => child.exitCode !== null)).toBe(true);
      expect(out).toContain(`No terminal to show a token on (and no --token-file), so none was made: vigil cloud token --data ${location.dataDir}`);
      expect(out).not.toContain('vigil_tok_');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const minted = vigil(['cloud', 'token', '--data', location.dataDir]);
    expect(minted.stdout.trim()).toMatch(/^vigil_tok_\S+$/);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('shows the token on the controlling terminal, not on standard output', async () => {
    const location = await freshLocation('sqlite');
    const stdoutFile = join(location.dataDir, 'stdout.txt');
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // script(1) gives the command a terminal; its standard output goes to a file instead.
    const command = `timeout -s TERM 6 ${quote(process.execPath)} ${quote(CLI)} cloud --data ${quote(location.dataDir)} --port 0 --log-level info > ${quote(stdoutFile)} 2>&1`;
    const terminal = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    expect(terminal.stdout).toMatch(/shown this once on this terminal[^\n]*\n\s*\n\s+vigil_tok_\S+/);
    expect(existsSync(stdoutFile)).toBe(true);
    const stdout = readFileSync(stdoutFile, 'utf8');
    expect(stdout).toContain('Its token was shown on this terminal only');
    expect(stdout).not.toContain('vigil_tok_');
  });
});
