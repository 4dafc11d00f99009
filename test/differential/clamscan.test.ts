/**
 * Differential test: Vigil vs. ClamAV's clamscan on seeded random signature databases and files.
 *
 * Each round generates a database (.hdb, .hsb, .ndb, .ldb, .fp, .ign2; see generators.ts) and ~12 files
 * (random binary, lowercase text, tiny, sometimes empty, and in half the rounds MZ and ELF files; the other
 * half use EOF-n offsets instead) with planted matches and near misses,
 * runs
 *   clamscan --allmatch --no-summary -d DIR FILES...
 *   node dist/cli/main.js scan --allmatch --no-summary --no-cache -v -d DIR FILES...
 * and compares, per file, the set of detection names (`PATH: NAME FOUND`) and the status line (OK /
 * Empty file), plus the exit code. Disagreements are minimised (one database line, fewest file bytes)
 * and written to $VIGIL_DIFF_OUT/report.md. Database lines clamscan loads but Vigil refuses are reported,
 * dropped, and the rest of the round is still compared. A second suite replays the minimised cases
 * recorded in cases.ts.
 *
 * clamscan is the oracle: everything generated must load in clamscan, otherwise the round fails as a
 * generator bug. dist/ is rebuilt first when it is older than src/.
 *
 * Environment:
 *   VIGIL_DIFF_SEED      base seed (default 1337)
 *   VIGIL_DIFF_ROUNDS    number of rounds (default 25)
 *   VIGIL_DIFF_MINIMISE  0 to skip minimisation (default: minimise up to 6 disagreements, 20 s each)
 *   VIGIL_DIFF_OUT       directory for artefacts (default: $TMPDIR/vigil-differential)
 *   VIGIL_DIFF_AVOID_OPEN 1 to stop generating what triggers the open (undecided) disagreements of cases.ts
 *                        (to look for new ones in long runs)
 *   VIGIL_DIFF_TEXTNORM  1 to let ClamAV's text normalisation reach the files (see GenOptions.textNorm) and
 *                        to run the caveat cases; expected to show the known normalisation caveat
 *
 * The generator avoids the ClamAV quirks Vigil does not copy (see generators.ts; cases.ts `quirk`: those are
 * asserted against Vigil's own documented output, without clamscan). `open` cases in cases.ts are
 * disagreements not decided yet: the random rounds still generate what triggers them (rarely), unless
 * VIGIL_DIFF_AVOID_OPEN=1.
 *
 * By default files avoid the known text-normalisation caveat: text files are lowercase words with single
 * spaces (ClamAV's normaliser leaves them unchanged), target-7 signatures use lowercase letters only, and
 * binary files carry a 00 00 pair at an even offset so that ClamAV types them CL_TYPE_BINARY_DATA rather
 * than UTF-16BE text (which would add a normalised-text pass over targets 0 and 7).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_CASES, type KnownCase } from './cases.js';
import { DB_FILE, generateRound, type RoundCase } from './generators.js';
import {
  clamscanAvailable, clamscanVersion, confirmRejection, dbLoadProblem, dropLines, ensureBuilt, formatDisagreement, minimise, parseOutput, rejectionKind, runBoth, runVigil,
  sameClamTreatment, vigilLoadErrors, writeDb, writeFiles, type Disagreement, type LoadRejection,
} from './harness.js';

const HAVE_CLAMSCAN = clamscanAvailable();
const BASE_SEED = Number(process.env.VIGIL_DIFF_SEED ?? 1337);
const ROUNDS = Number(process.env.VIGIL_DIFF_ROUNDS ?? 25);
const MINIMISE = process.env.VIGIL_DIFF_MINIMISE !== '0';
const TEXT_NORM = process.env.VIGIL_DIFF_TEXTNORM === '1';
const AVOID_OPEN = process.env.VIGIL_DIFF_AVOID_OPEN === '1';
const MAX_MINIMISED = 6;
const MINIMISE_BUDGET_MS = 20_000;
const OUT = process.env.VIGIL_DIFF_OUT ?? join(tmpdir(), 'vigil-differential');

if (!HAVE_CLAMSCAN) {
  console.warn('[differential] SKIPPED: `clamscan` is not on PATH (install ClamAV, e.g. `apt-get install clamav`, to run the differential test).');
}

/** Round seeds derived from the base seed. */
function roundSeed(r: number): number {
  let h = (BASE_SEED ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (r + 1), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

interface Stats {
  rounds: number;
  files: number;
  detections: number;
  agreedDetections: number;
  plantedHits: number;
  plantedHitsDetected: number;
  textDuplicates: number;
}

describe.skipIf(!HAVE_CLAMSCAN)(`differential: vigil scan vs clamscan (${ROUNDS} seeded rounds, base seed ${BASE_SEED}; skipped if clamscan is not on PATH)`, () => {
  const stats: Stats = { rounds: 0, files: 0, detections: 0, agreedDetections: 0, plantedHits: 0, plantedHitsDetected: 0, textDuplicates: 0 };
  const disagreements: Disagreement[] = [];
  /** Kinds of database lines Vigil refuses although clamscan loads them. */
  const rejections = new Map<string, { r: LoadRejection; confirmed: { clam: string; vigil: string } | null; count: number }>();
  /** Distinct disagreements by (side, kind of signature): minimise only the first few of each. */
  const seenKinds = new Map<string, number>();

  beforeAll(() => {
    ensureBuilt();
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
  }, 120_000);

  afterAll(() => {
    const lines = [
      `# Vigil vs clamscan differential run`,
      `${clamscanVersion()}; base seed ${BASE_SEED}; ${stats.rounds} rounds; ${stats.files} files`,
      `detections compared (union over files): ${stats.detections}; agreed: ${stats.agreedDetections}`,
      `planted intended hits (.ndb and hash sigs): ${stats.plantedHits}; of which clamscan detected the sig in that file: ${stats.plantedHitsDetected}`,
      `clamscan duplicate name lines on text files (raw + normalised pass): ${stats.textDuplicates}`,
      '',
      `## Database lines clamscan loads but Vigil refuses (${rejections.size} kinds)`,
      ...[...rejections].map(([kind, { r, confirmed, count }]) => [
        `- ${kind}  [${count} line(s); e.g. seed ${r.seed}]`,
        `    ${r.db}: ${r.line}`,
        `    clamscan: ${confirmed?.clam ?? '(not confirmed on its own)'}`,
        `    vigil:    ${confirmed?.vigil ?? r.message}`,
      ].join('\n')),
      '',
      `## Detection disagreements (${disagreements.length} minimised)`,
      ...disagreements.map(formatDisagreement),
    ];
    writeFileSync(join(OUT, 'report.md'), `${lines.join('\n')}\n`);
    console.log(lines.slice(0, 5).join('\n'));
    if (rejections.size) console.log(`[differential] ${rejections.size} kind(s) of database lines refused by Vigil only`);
    if (disagreements.length) console.log(`[differential] ${disagreements.length} minimised disagreement(s): see ${join(OUT, 'report.md')}`);
  });

  for (let r = 0; r < ROUNDS; r++) {
    const seed = roundSeed(r);
    it(`round ${r} (seed ${seed})`, async () => {
      const rc: RoundCase = generateRound(seed, { textNorm: TEXT_NORM, avoidOpen: AVOID_OPEN });
      const dir = join(OUT, `round-${r}`);
      const dbDir = join(dir, 'db');
      writeDb(dbDir, rc.dbFiles);
      const paths = writeFiles(join(dir, 'files'), rc.files);
      let res = await runBoth(dbDir, paths);
      const found: string[] = [];

      const loadProblem = dbLoadProblem(res.clam);
      if (loadProblem) {
        throw new Error(`generator bug: clamscan rejected the generated database (seed ${seed}, ${dbDir}):\n${loadProblem}\n${[...rc.dbFiles].map(([n, t]) => `--- ${n}\n${t}`).join('')}`);
      }
      // Lines clamscan loads but Vigil refuses: report them, drop them, and compare the rest.
      for (let attempt = 0; attempt < 3 && res.vigil.code === 2; attempt++) {
        const rej = vigilLoadErrors(res.vigil.stderr, rc.dbFiles, seed);
        if (rej.length === 0) break;
        for (const r of rej) {
          found.push(`vigil refuses a line clamscan loads: ${r.db}:${r.lineNo}: ${r.line}\n    ${r.message}`);
          const kind = rejectionKind(r);
          if (!rejections.has(kind)) {
            const confirmed = await confirmRejection(join(dir, 'reject'), r);
            rejections.set(kind, { r, confirmed, count: 0 });
          }
          rejections.get(kind)!.count++;
        }
        const dropped = new Set(rej.map((r) => `${r.db}\n${r.line}`));
        rc.sigs = rc.sigs.filter((x) => !dropped.has(`${DB_FILE[x.db]}\n${x.line}`));
        rc.dbFiles = dropLines(rc.dbFiles, rej);
        writeDb(dbDir, rc.dbFiles);
        res = await runBoth(dbDir, paths);
      }
      if (res.vigil.code === 2) found.push(`vigil failed (exit 2): ${res.vigil.stderr.trim().split('\n').slice(0, 5).join(' / ')}`);

      // Statistics.
      stats.rounds++;
      stats.files += paths.length;
      const byName = new Map(rc.files.map((f, i) => [f.name, paths[i]!] as const));
      for (const p of paths) {
        const c = res.clamV.get(p)!;
        const v = res.vigilV.get(p)!;
        const union = new Set([...c.names, ...v.names]);
        stats.detections += union.size;
        stats.agreedDetections += [...union].filter((n) => c.names.has(n) && v.names.has(n)).length;
        stats.textDuplicates += c.nameLines.length - c.names.size;
      }
      for (const pl of rc.plants.filter((x) => x.hit && !x.sig.includes('/'))) {
        stats.plantedHits++;
        const sigName = `${pl.sig.split('/')[0]!}.UNOFFICIAL`;
        if (res.clamV.get(byName.get(pl.file)!)?.names.has(sigName)) stats.plantedHitsDetected++;
      }

      // Minimise and record disagreements.
      for (const d of res.diffs) {
        const file = rc.files[paths.indexOf(d.path)]!;
        const name = d.clamOnly[0] ?? d.vigilOnly[0];
        const sig = name ? rc.sigs.find((s) => `${s.name}.UNOFFICIAL` === name && s.db !== 'ign2') : undefined;
        const summary = `${file.name} (${file.kind}, ${file.data.length} B): clamscan-only [${d.clamOnly.join(', ')}] vigil-only [${d.vigilOnly.join(', ')}] status ${d.clamStatus} / ${d.vigilStatus}${sig ? `\n    ${sig.db}: ${sig.line}` : ''}`;
        found.push(summary);
        const kindKey = `${d.clamOnly.length ? 'C' : d.vigilOnly.length ? 'V' : 'S'}:${sig?.db ?? '-'}`;
        const seen = seenKinds.get(kindKey) ?? 0;
        if (MINIMISE && disagreements.length < MAX_MINIMISED && seen < 2) {
          seenKinds.set(kindKey, seen + 1);
          const m = await minimise(join(dir, 'min'), rc, file, d, MINIMISE_BUDGET_MS, sameClamTreatment(file, TEXT_NORM));
          disagreements.push(m);
          found.push(formatDisagreement(m));
        }
      }
      if (res.clam.code !== res.vigil.code) {
        const why = (r: typeof res.vigil) => `${r.code}${r.signal ? ` (${r.signal})` : ''}${r.code !== 0 && r.code !== 1 && r.stderr.trim() ? `, stderr: ${r.stderr.trim().split('\n').slice(-5).join(' / ')}` : ''}`;
        found.push(`exit codes differ: clamscan ${why(res.clam)}, vigil ${why(res.vigil)}`);
      }
      if (found.length) writeFileSync(join(dir, 'disagreements.txt'), `${found.join('\n')}\n`);
      expect(found, `clamscan and vigil disagree (seed ${seed}; case in ${dir})`).toEqual([]);
    }, 300_000);
  }
});

/** One file's verdict as recorded in cases.ts: sorted names without `.UNOFFICIAL`, or the status (OK). */
const showVerdict = (v: { names: Set<string>; status: string }) => (v.names.size ? [...v.names].map((n) => n.replace(/\.UNOFFICIAL$/, '')).sort().join(' ') : v.status);

async function writeCase(c: KnownCase): Promise<{ dir: string; names: string[]; paths: string[] }> {
  const dir = join(OUT, 'cases', c.id);
  writeDb(join(dir, 'db'), new Map(Object.entries(c.db)));
  const names = Object.keys(c.files);
  const paths = writeFiles(join(dir, 'files'), names.map((name) => ({ name, data: c.files[name]! })));
  return { dir, names, paths };
}

describe.skipIf(!HAVE_CLAMSCAN)('differential: minimised vigil/clamscan disagreements (fixed cases from cases.ts, compared live; skipped if clamscan is not on PATH)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  for (const c of KNOWN_CASES.filter((x) => x.quirk !== true)) {
    it.skipIf(c.caveat === true && !TEXT_NORM)(`${c.id}${c.open ? ' (OPEN disagreement: expected to differ)' : ''}`, async () => {
      const { dir, names, paths } = await writeCase(c);
      const res = await runBoth(join(dir, 'db'), paths);
      const loadProblem = dbLoadProblem(res.clam);
      if (loadProblem) throw new Error(`clamscan rejected the case database: ${loadProblem}`);
      const got = (which: 'clamV' | 'vigilV') => Object.fromEntries(names.map((n, i) => [n, showVerdict(res[which].get(paths[i]!)!)]));
      const vigil = { ...got('vigilV'), exit: res.vigil.code, ...(res.vigil.code === 2 ? { stderr: res.vigil.stderr.trim().split('\n')[0] } : {}) };
      const clam = { ...got('clamV'), exit: res.clam.code };
      if (c.open) {
        // A known, undecided disagreement (see cases.ts): clamscan still prints what was recorded, and Vigil
        // still differs. When Vigil is changed to agree, this fails: drop `open` from the case.
        expect(got('clamV'), `${c.title}\n(clamscan no longer prints what was recorded; case in ${dir})`).toEqual(c.clamscan);
        expect(vigil, `${c.title}\nVigil now agrees with clamscan: drop \`open\` from this case in cases.ts (case in ${dir})`).not.toEqual(clam);
        return;
      }
      expect(vigil, `${c.title}\n(clamscan 1.4.6 when recorded: ${JSON.stringify(c.clamscan)}; case in ${dir})`).toEqual(clam);
    }, 60_000);
  }
});

// Documented differences: ClamAV quirks Vigil does not copy. Not compared with clamscan (so this runs
// without it); asserts Vigil's own behaviour, recorded in cases.ts (`vigil`, with a comment on why).
describe('differential: documented differences from clamscan (quirk cases from cases.ts; Vigil only)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  for (const c of KNOWN_CASES.filter((x) => x.quirk === true)) {
    it(`${c.id} (ClamAV quirk, not copied)`, async () => {
      if (!c.vigil) throw new Error(`quirk case ${c.id} has no \`vigil\` expectation`);
      const { dir, names, paths } = await writeCase(c);
      const res = await runVigil(join(dir, 'db'), paths);
      const got = parseOutput(res.stdout, paths);
      const actual = { ...Object.fromEntries(names.map((n, i) => [n, showVerdict(got.get(paths[i]!)!)])), exit: res.code };
      const infected = Object.values(c.vigil).some((v) => v !== 'OK');
      expect(actual, `${c.title}\n(clamscan 1.4.6 prints ${JSON.stringify(c.clamscan)}; case in ${dir}; stderr: ${res.stderr.trim().split('\n')[0] ?? ''})`).toEqual({ ...c.vigil, exit: infected ? 1 : 0 });
    }, 60_000);
  }
});
