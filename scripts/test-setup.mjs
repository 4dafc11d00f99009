#!/usr/bin/env node
// Prepares what the test suite needs, idempotently: the built CLI (tests run it as users do),
// Debian's ClamAV as the oracle (installed with apt-get when missing and we are root; freshclam
// is never started: the tests bring their own databases) and Debian's PostgreSQL 15 (the test run
// starts its own throwaway cluster, see postgres.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensurePostgresInstalled } from './postgres.mjs';

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// clamscan is the scanner oracle; clamd and clamdscan are the daemon oracle and the real client.
const clamavPackages = [
  ['clamscan', 'clamav'],
  ['clamd', 'clamav-daemon'],
  ['clamdscan', 'clamdscan'],
].filter(([cmd]) => !have(cmd) && !(cmd === 'clamd' && have('/usr/sbin/clamd'))).map(([, pkg]) => pkg);
// The 44 sample files of the container tests; the bzip2 and xz tools make two of their samples.
if (!existsSync('/usr/share/clamav-testfiles')) clamavPackages.push('clamav-testfiles');
if (!have('bzip2')) clamavPackages.push('bzip2');
if (!have('xz')) clamavPackages.push('xz-utils');
if (clamavPackages.length > 0) {
  if (process.getuid?.() === 0 && have('apt-get')) {
    console.log(`test-setup: installing Debian ${clamavPackages.join(', ')} (test oracles and tools)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', ...clamavPackages], { stdio: 'inherit', env });
    // The packages may enable freshclam's and clamd's services; tests never need them (they start their own clamd).
    spawnSync('sh', ['-c', 'command -v systemctl >/dev/null && systemctl disable --now clamav-freshclam clamav-daemon clamav-daemon.socket 2>/dev/null; pkill -x freshclam'], { stdio: 'ignore' });
  } else {
    console.log(`test-setup: ${clamavPackages.join(', ')} not found and cannot install them here; differential and clamdscan tests will be skipped`);
  }
}
if (!process.env.VIGIL_TEST_PG_URL && !ensurePostgresInstalled()) {
  console.log('test-setup: PostgreSQL 15 not found and cannot install it here; PostgreSQL tests will be skipped');
}
console.log('test-setup: building dist/ ...');
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
