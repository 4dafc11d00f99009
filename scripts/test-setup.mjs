#!/usr/bin/env node
// Prepares what the test suite needs, idempotently: the built CLI (tests run it as users do),
// Debian's ClamAV as the oracle (installed with apt-get when missing and we are root; freshclam
// is never started: the tests bring their own databases) and Debian's PostgreSQL 15 (the test run
// starts its own throwaway cluster, see postgres.mjs).
import { execFileSync, spawnSync } from 'node:child_process';
import { ensurePostgresInstalled } from './postgres.mjs';

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (!have('clamscan')) {
  if (process.getuid?.() === 0 && have('apt-get')) {
    console.log('test-setup: installing Debian clamav (test oracle)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', 'clamav'], { stdio: 'inherit', env });
    // The package may enable freshclam's service; tests never need it.
    spawnSync('sh', ['-c', 'command -v systemctl >/dev/null && systemctl disable --now clamav-freshclam 2>/dev/null; pkill -x freshclam'], { stdio: 'ignore' });
  } else {
    console.log('test-setup: clamscan not found and cannot install it here; differential tests will be skipped');
  }
}
if (!process.env.VIGIL_TEST_PG_URL && !ensurePostgresInstalled()) {
  console.log('test-setup: PostgreSQL 15 not found and cannot install it here; PostgreSQL tests will be skipped');
}
console.log('test-setup: building dist/ ...');
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
