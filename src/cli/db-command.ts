/** `vigil db compile|info|verify`: build, inspect and check signature databases. */
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compileSources, Database, EngineError, formatProblem, isWarning, openDatabase } from '../engine/index.js';
import { EXIT_CLEAN, EXIT_ERROR, reportError, UsageError } from './exit-codes.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function printInfo(db: Database, json: boolean): void {
  const i = db.info();
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...i, buildTime: i.buildTime.toISOString(), source: db.source })}\n`);
    return;
  }
  const lines = [
    `Database: ${db.source}`,
    `Built: ${i.buildTime.toISOString()}`,
    `Image size: ${i.imageBytes} bytes`,
    `Hash signatures: ${i.hashSignatures}`,
    `Body signatures: ${i.bodySignatures}`,
    `Logical signatures: ${i.logicalSignatures}`,
    `Allow-list entries: ${i.allowListEntries}`,
    `Known signatures (as clamscan counts them): ${i.knownSignatures}`,
    `Skipped (unsupported features): ${i.skipped}`,
    `Ignored (by .ign/.ign2): ${i.ignored}`,
    `Segments without an index atom: ${i.unindexedSegments}`,
    ...i.sources.map((s) => `Source: ${s}`),
    ...i.skippedReasons.map((s) => `Skipped: ${s}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerDbCommand(program: Command): void {
  const db = program.command('db').description('compile, inspect and verify signature databases');

  db.command('compile')
    .description('compile ClamAV-format sources into one image that loads with a single read')
    .requiredOption('-d, --database <path>', 'source file or folder (.hdb .hsb .ndb .ldb .fp .sfp .ign2 .cvd .cld .cud; repeatable)', collect, [])
    .requiredOption('-o, --output <file>', 'image file to write (conventionally *.vigildb)')
    .action((flags: { database: string[]; output: string }) => {
      try {
        if (flags.database.length === 0) throw new UsageError('at least one -d/--database is needed');
        const started = Date.now();
        const { image, warnings } = compileSources(flags.database);
        const tmp = `${flags.output}.${process.pid}.tmp`;
        writeFileSync(tmp, image);
        renameSync(tmp, flags.output);
        const info = new Database(image, flags.output).info();
        for (const w of warnings) process.stderr.write(`${formatProblem(w)}\n`);
        process.stdout.write(
          `Compiled ${info.knownSignatures} signatures (${info.hashSignatures} hash, ${info.bodySignatures} body, ${info.logicalSignatures} logical, ` +
            `${info.allowListEntries} allow-list; ${info.skipped} skipped) into ${flags.output} (${image.length} bytes) in ${((Date.now() - started) / 1000).toFixed(2)} s\n`,
        );
        process.exitCode = EXIT_CLEAN;
      } catch (e) {
        process.exitCode = reportError(e);
      }
    });

  db.command('info')
    .description('show what a database holds: counts by kind, versions, build time, size')
    .option('-d, --database <path>', 'database file or folder (repeatable; default: built-in)', collect, [])
    .option('--json', 'print as JSON')
    .action((flags: { database: string[]; json?: boolean }) => {
      try {
        printInfo(openDatabase(flags.database).db, flags.json ?? false);
        process.exitCode = EXIT_CLEAN;
      } catch (e) {
        process.exitCode = reportError(e);
      }
    });

  db.command('verify')
    .description('load a database from scratch and list every problem (file, line, code, reason)')
    .option('-d, --database <path>', 'database file or folder (repeatable; default: built-in)', collect, [])
    .action((flags: { database: string[] }) => {
      try {
        const opened = openDatabase(flags.database, { cacheDir: false });
        for (const w of opened.warnings) process.stderr.write(`${formatProblem(w)}\n`);
        const i = opened.db.info();
        process.stdout.write(`OK: ${i.knownSignatures} signatures loaded, ${opened.warnings.filter(isWarning).length} warning(s)\n`);
        process.exitCode = EXIT_CLEAN;
      } catch (e) {
        if (e instanceof EngineError && e.problems.length > 0) {
          for (const p of e.problems) process.stdout.write(`${formatProblem(p)}\n`);
          const errors = e.problems.filter((p) => !isWarning(p)).length;
          process.stdout.write(`FAILED: ${errors} error(s), ${e.problems.length - errors} warning(s)\n`);
          process.exitCode = EXIT_ERROR;
        } else process.exitCode = reportError(e);
      }
    });
}
