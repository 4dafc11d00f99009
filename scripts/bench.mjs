#!/usr/bin/env node
// `npm run bench [-- options]`: runs the benchmark in bench/run.mjs (see bench/README.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const run = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));
const r = spawnSync(process.execPath, [run, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
