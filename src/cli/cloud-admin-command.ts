/** `vigil cloud geo import`, `vigil cloud token`, `vigil cloud audit export`: admin work on the data itself. */
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { GeoRange } from '../cloud/index.js';
import { formatAuditLine } from '../protocol/index.js';
import { closeTarget, loadCloud, openTarget } from './cloud-target.js';
import { guarded, localActor } from './cloud-policy-command.js';
import { UsageError } from './exit-codes.js';

interface StoreOptions {
  data?: string;
  store?: string;
}

const MAX_CSV_BYTES = 512 * 1024 * 1024;

function readCsv(file: string): { text: string; file: string } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (size > MAX_CSV_BYTES) throw new UsageError(`${file}: ${size} bytes is more than the ${MAX_CSV_BYTES}-byte limit for one CSV file`);
  return { text: readFileSync(file, 'utf8'), file: basename(file) };
}

/** Finds the GeoLite2-Country CSV files in a folder (as MaxMind's zip unpacks). */
function geoLite2Files(dir: string): { blocks: string[]; locations: string } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new UsageError(`cannot read folder ${dir}: ${(e as Error).message}`);
  }
  const blocks = names.filter((n) => /^GeoLite2-Country-Blocks-IPv[46]\.csv$/.test(n)).map((n) => join(dir, n));
  const locations = names.find((n) => n === 'GeoLite2-Country-Locations-en.csv');
  if (blocks.length === 0 || !locations) throw new UsageError(`${dir}: expected GeoLite2-Country-Blocks-IPv4.csv/-IPv6.csv and GeoLite2-Country-Locations-en.csv`);
  return { blocks, locations: join(dir, locations) };
}

async function importGeo(files: string[], options: StoreOptions & { geolite2?: string }): Promise<void> {
  const { parseCidrCountryCsv, parseGeoLite2Country, replaceGeoRanges, sortAndCheckRanges } = await loadCloud();
  let ranges: GeoRange[];
  let source: string;
  let skipped = 0;
  if (options.geolite2) {
    if (files.length > 0) throw new UsageError('give either --geolite2 DIR or cidr,country CSV files, not both');
    const found = geoLite2Files(options.geolite2);
    const parsed = parseGeoLite2Country({ blocks: found.blocks.map(readCsv), locations: readCsv(found.locations) });
    ranges = parsed.ranges;
    skipped = parsed.skipped;
    source = `GeoLite2-Country CSV (${found.blocks.map((b) => basename(b)).join(', ')})`;
  } else {
    if (files.length === 0) throw new UsageError('give cidr,country CSV files or --geolite2 DIR');
    ranges = files.flatMap((f) => { const csv = readCsv(f); return parseCidrCountryCsv(csv.text, csv.file); });
    source = `cidr,country CSV (${files.map((f) => basename(f)).join(', ')})`;
  }
  ranges = sortAndCheckRanges(ranges);
  const target = await openTarget(options);
  try {
    if (target.kind !== 'store') throw new UsageError('geo import works on --data or --store');
    const count = await target.store.transaction((tx) => replaceGeoRanges(tx, ranges, source, { name: localActor(), now: new Date() }));
    process.stdout.write(`Imported ${count} ranges for ${new Set(ranges.map((r) => r.country)).size} countries from ${source}${skipped ? `; ${skipped} rows without a country skipped` : ''}.\n`);
  } finally {
    await closeTarget(target);
  }
}

export function registerCloudAdminCommands(cloud: Command): void {
  const geo = cloud.command('geo').description('the CIDR-to-country table that decides request locations');
  geo
    .command('import')
    .description('replace the table with cidr,country CSV files or a GeoLite2-Country CSV folder')
    .argument('[files...]', 'plain CSV files with lines "cidr,country"')
    .option('--geolite2 <dir>', "folder with MaxMind's GeoLite2-Country CSV files")
    .option('--data <dir>', 'data folder (default ./vigil-data)')
    .option('--store <url>', 'PostgreSQL URL (or VIGIL_STORE)')
    .action(guarded(importGeo));

  cloud
    .command('token')
    .description('mint a new operator token from the data itself (recovery; needs access to the data)')
    .option('--data <dir>', 'data folder (default ./vigil-data)')
    .option('--store <url>', 'PostgreSQL URL (or VIGIL_STORE)')
    .action(
      guarded(async (options: StoreOptions) => {
        const target = await openTarget(options);
        try {
          if (target.kind !== 'store') throw new UsageError('token works on --data or --store');
          const { DEFAULT_CONFIG, mintOperatorToken } = await loadCloud();
          process.stdout.write(`${await mintOperatorToken(target.store, new Date(), localActor(), DEFAULT_CONFIG.tokenLifetimeDays)}\n`);
        } finally {
          await closeTarget(target);
        }
      }),
    );

  const audit = cloud.command('audit').description('the audit log kept by the cloud');
  audit
    .command('export')
    .description('write the audit log as JSON lines (check it with `vigil audit log verify`)')
    .option('--data <dir>', 'data folder (default ./vigil-data)')
    .option('--store <url>', 'PostgreSQL URL (or VIGIL_STORE)')
    .option('--out <file>', 'output file (default standard output)')
    .action(
      guarded(async (options: StoreOptions & { out?: string }) => {
        const target = await openTarget(options);
        try {
          if (target.kind !== 'store') throw new UsageError('audit export works on --data or --store');
          const { readAllAudit, readAuditHead } = await loadCloud();
          const head = await readAuditHead(target.store);
          const out: NodeJS.WritableStream = options.out ? createWriteStream(options.out) : process.stdout;
          for await (const record of readAllAudit(target.store)) {
            if (record.seq > head.seq) break;
            if (!out.write(`${formatAuditLine(record)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
          }
          if (options.out) await new Promise<void>((resolve, reject) => out.end(() => resolve()).on('error', reject));
          process.stderr.write(`Exported ${head.seq} records; head ${head.hash}\n`);
        } finally {
          await closeTarget(target);
        }
      }),
    );
}
