#!/usr/bin/env node
// `npm run bench [-- options]`: runs the benchmark in bench/run.mjs, then the cloud load tests in
// bench/cloud-decide.mjs and bench/network-load.mjs and the daemon load test in
// bench/daemon-load.mjs (see bench/README.md).
// `npm run bench -- cloud [options]` runs only the policy-decision load test,
// `npm run bench -- network [options]` only the security network's,
// `npm run bench -- daemon [options]` only vigil daemon against clamd.
// `npm run bench -- archives [options]` only archive scanning, vigil scan against clamscan.
// `npm run bench -- updates [options]` only signature updates: a 1% change, delta size and times.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const node = (name, args) => spawnSync(process.execPath, [fileURLToPath(new URL(`../bench/${name}`, import.meta.url)), ...args], { stdio: 'inherit' }).status ?? 1;
const argv = process.argv.slice(2);
if (argv[0] === 'cloud') process.exit(node('cloud-decide.mjs', argv.slice(1)));
if (argv[0] === 'network') process.exit(node('network-load.mjs', argv.slice(1)));
if (argv[0] === 'daemon') process.exit(node('daemon-load.mjs', argv.slice(1)));
if (argv[0] === 'archives') process.exit(node('archive-scan.mjs', argv.slice(1)));
if (argv[0] === 'updates') process.exit(node('update-delta.mjs', argv.slice(1)));
const status = node('run.mjs', argv);
if (status !== 0) process.exit(status);
// Of run.mjs's options, only these mean the same to the load tests.
const shared = argv.flatMap((a, i) => (a === '--no-append' || a === '--no-build' || a.startsWith('--results=') ? [a] : a === '--results' ? [a, argv[i + 1]] : []));
const cloud = node('cloud-decide.mjs', shared);
const network = node('network-load.mjs', shared);
const daemon = node('daemon-load.mjs', shared);
process.exit(cloud || network || daemon);
