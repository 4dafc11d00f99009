// One settings type from three front ends (CLI flags, clamd.conf, the library's options), and the
// one table that says what each setting is called on each: complete, and honoured everywhere.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  defaultScanSettings,
  isUnsupported,
  SCAN_SETTING_TABLE,
  scannerOptionsOf,
  scanSettingsFromFlags,
  scanSettingsFromLibraryOptions,
  type SettingEntry,
} from '../../../src/agent/scan/index.js';
import { parseClamdConfig, settingsFromClamdConfig, SUPPORTED_OPTIONS, UNSUPPORTED_OPTIONS } from '../../../src/agent/daemon/index.js';
import { registerDaemonCommand } from '../../../src/cli/daemon-command.js';
import { registerScanCommand } from '../../../src/cli/scan-command.js';
import { registerWatchCommand } from '../../../src/cli/watch-command.js';

const invalid = (m: string) => new Error(m);

/** A value of the entry's kind as each front writes it, and the setting it must give. */
function sample(e: SettingEntry): { flag: unknown; clamd: string; library: unknown; expected: unknown } {
  switch (e.value) {
    case 'size':
      return { flag: '3K', clamd: '3K', library: 3072, expected: 3072 };
    case 'count':
      return { flag: '7', clamd: '7', library: 7, expected: 7 };
    case 'bool': {
      // Every boolean is sampled as the value that differs from its default.
      const flip = !(defaultScanSettings()[e.setting] as boolean);
      return { flag: flip, clamd: flip ? 'yes' : 'no', library: flip, expected: flip };
    }
    case 'regexes':
      return { flag: ['a+b$'], clamd: 'a+b$', library: [/a+b$/], expected: [/a+b$/] };
    case 'symlink-level':
      return { flag: '2', clamd: 'yes', library: 2, expected: 2 };
  }
}

function declared(register: (p: Command) => void, name: string): Set<string> {
  const program = new Command();
  register(program);
  const command = program.commands.find((c) => c.name() === name)!;
  return new Set(command.options.map((o) => o.long!));
}

describe('the scan setting table', () => {
  it('lists every setting once, and each front names it or says why not', () => {
    const keys = Object.keys(defaultScanSettings()).sort();
    expect(SCAN_SETTING_TABLE.map((e) => e.setting).sort()).toEqual(keys);
    for (const e of SCAN_SETTING_TABLE) {
      for (const front of [e.cli, e.clamd, e.library]) {
        if (isUnsupported(front)) expect(front.unsupported.length, e.setting).toBeGreaterThan(10);
      }
      if (e.value === 'count') expect(e.range, e.setting).toBeDefined();
    }
  });

  it('has every input setting on all three fronts, and every walk setting on the command line and nowhere in the library', () => {
    for (const e of SCAN_SETTING_TABLE) {
      expect(isUnsupported(e.cli), e.setting).toBe(false);
      const cli = e.cli as Exclude<SettingEntry['cli'], { unsupported: string }>;
      expect(cli.commands, e.setting).toContain('scan');
      if (e.scope === 'input') {
        expect(isUnsupported(e.library), e.setting).toBe(false);
        expect(cli.commands, e.setting).toContain('watch');
        // The daemon takes it from clamd.conf and its flags, or a clamd client picks it per command.
        if (isUnsupported(e.clamd)) expect(cli.commands).not.toContain('daemon');
        else expect(cli.commands, e.setting).toContain('daemon');
      } else {
        expect(isUnsupported(e.library), e.setting).toBe(true);
        expect(cli.commands, e.setting).not.toContain('daemon');
      }
    }
  });

  it("gives Commander's attribute names for the flags", () => {
    for (const e of SCAN_SETTING_TABLE) {
      if (isUnsupported(e.cli)) continue;
      const c = new Command().option(e.cli.flag, e.cli.help);
      expect(c.options[0]!.attributeName(), e.cli.flag).toBe(e.cli.attribute);
    }
  });

  it('is what vigil scan, watch and daemon declare', () => {
    const commands = { scan: declared(registerScanCommand, 'scan'), watch: declared(registerWatchCommand, 'watch'), daemon: declared(registerDaemonCommand, 'daemon') };
    for (const e of SCAN_SETTING_TABLE) {
      if (isUnsupported(e.cli)) continue;
      const long = e.cli.flag.split(/[ ,]+/).find((p) => p.startsWith('--'))!;
      for (const name of ['scan', 'watch', 'daemon'] as const) expect(commands[name].has(long), `${name} ${long}`).toBe(e.cli.commands.includes(name));
    }
    // The alerts that watch used to drop.
    for (const flag of ['--alert-exceeds-max', '--alert-encrypted', '--no-heuristic-alerts']) expect(commands.watch.has(flag)).toBe(true);
  });

  it("makes the clamd.conf reader support every directive it names, MaxScanTime and AlertExceedsMax among them", () => {
    const unsupported = new Set(UNSUPPORTED_OPTIONS);
    for (const name of Object.keys(SUPPORTED_OPTIONS)) expect(unsupported.has(name), name).toBe(false);
    for (const e of SCAN_SETTING_TABLE) {
      if (isUnsupported(e.clamd)) continue;
      expect(SUPPORTED_OPTIONS[e.clamd.directive], e.clamd.directive).toBeDefined();
    }
    for (const name of ['MaxScanTime', 'AlertExceedsMax', 'AlertEncrypted', 'HeuristicAlerts', 'MaxCompressionRatio']) expect(SUPPORTED_OPTIONS[name], name).toBeDefined();
  });
});

describe('the builders', () => {
  it('read each setting from command-line flags', () => {
    for (const e of SCAN_SETTING_TABLE) {
      if (isUnsupported(e.cli)) continue;
      const { flag, expected } = sample(e);
      const s = scanSettingsFromFlags({ [e.cli.attribute]: flag }, 'scan', invalid);
      expect(s[e.setting], e.cli.flag).toEqual(expected);
      // Nothing else changed.
      expect({ ...s, [e.setting]: undefined }).toEqual({ ...defaultScanSettings(), [e.setting]: undefined });
    }
  });

  it('leave the base alone for flags not given, and name the flag that is wrong', () => {
    const base = { ...defaultScanSettings(), maxScanTime: 5, heuristicAlerts: false };
    // Commander hands over --no-heuristic-alerts as true when it is not given.
    expect(scanSettingsFromFlags({ heuristicAlerts: true, exclude: [] }, 'daemon', invalid, base)).toEqual(base);
    expect(() => scanSettingsFromFlags({ maxFilesize: '12Q' }, 'scan', invalid)).toThrow("--max-filesize: '12Q' is not a size");
    expect(() => scanSettingsFromFlags({ maxScantime: '-1' }, 'watch', invalid)).toThrow("--max-scantime: expected a whole number from 0 to 86400000, got '-1'");
    expect(() => scanSettingsFromFlags({ maxCompressionRatio: '0' }, 'scan', invalid)).toThrow("--max-compression-ratio: expected a whole number from 1 to 1000000, got '0'");
    expect(() => scanSettingsFromFlags({ followDirSymlinks: '3' }, 'scan', invalid)).toThrow("--follow-dir-symlinks: expected 0, 1 or 2, got '3'");
    expect(() => scanSettingsFromFlags({ exclude: ['('] }, 'scan', invalid)).toThrow("--exclude: '(' is not a valid regular expression");
  });

  it('read each setting from clamd.conf, without a warning', () => {
    for (const e of SCAN_SETTING_TABLE) {
      if (isUnsupported(e.clamd)) continue;
      const { clamd, expected } = sample(e);
      const { settings, warnings } = settingsFromClamdConfig(parseClamdConfig(`TCPSocket 3310\n${e.clamd.directive} ${clamd}\n`, 'c.conf'));
      expect(settings[e.setting], e.clamd.directive).toEqual(expected);
      expect(warnings, e.clamd.directive).toEqual([]);
    }
  });

  it('apply ExcludePath to files and folders, and check counts in clamd.conf as on the command line', () => {
    const { settings } = settingsFromClamdConfig(parseClamdConfig('ExcludePath ^/proc/\nMaxScanTime 2000\nAlertExceedsMax yes\n', 'c.conf'));
    expect(settings.excludePaths.map(String)).toEqual(['/^\\/proc\\//']);
    expect(settings.excludeDirs.map(String)).toEqual(['/^\\/proc\\//']);
    expect(settings).toMatchObject({ maxScanTime: 2000, alertExceedsMax: true, followDirectorySymlinks: 0, followFileSymlinks: 0 });
    expect(() => settingsFromClamdConfig(parseClamdConfig('MaxCompressionRatio 0\n', 'd.conf'))).toThrow(/error\(s\) in d.conf/);
  });

  it("give 0 ClamAV's meaning: no limit for the scan time and the files, the default (with a warning) for the recursion", () => {
    const warned: string[] = [];
    const flags = scanSettingsFromFlags({ maxScantime: '0', maxFiles: '0', maxRecursion: '0' }, 'scan', invalid, defaultScanSettings(), (m) => warned.push(m));
    expect(flags).toMatchObject({ maxScanTime: Infinity, maxFiles: Infinity, maxRecursion: 17 });
    expect(warned).toEqual(['--max-recursion: the value of 0 is not allowed, using default: 17']);
    const { settings, warnings } = settingsFromClamdConfig(parseClamdConfig('MaxScanTime 0\nMaxFiles 0\nMaxRecursion 0\n', 'e.conf'));
    expect(settings).toMatchObject({ maxScanTime: Infinity, maxFiles: Infinity, maxRecursion: 17 });
    expect(warnings).toEqual([{ file: 'e.conf', line: 3, message: 'MaxRecursion: the value of 0 is not allowed, using default: 17' }]);
  });

  it("read each setting from the library's options, and give them back to createScanner", () => {
    for (const e of SCAN_SETTING_TABLE) {
      if (isUnsupported(e.library)) continue;
      const { library, expected } = sample(e);
      const [head, tail] = e.library.split('.');
      const options = tail === undefined ? { [head!]: library } : { [head!]: { [tail]: library } };
      const s = scanSettingsFromLibraryOptions(options);
      expect(s[e.setting], e.library).toEqual(expected);
      // And back: the scanner is created with what the settings say.
      const back = scannerOptionsOf(s, new Uint8Array(0)) as unknown as Record<string, unknown>;
      expect(tail === undefined ? back[head!] : (back[head!] as Record<string, unknown>)[tail], e.library).toEqual(expected);
    }
  });
});

describe('the user docs', () => {
  it('show every flag and directive of the table: docs/cli.md the list, docs/daemon.md the directives', () => {
    const cli = readFileSync(resolve(__dirname, '../../../docs/cli.md'), 'utf8');
    const daemon = readFileSync(resolve(__dirname, '../../../docs/daemon.md'), 'utf8');
    for (const e of SCAN_SETTING_TABLE) {
      if (!isUnsupported(e.cli)) expect(cli, e.cli.flag).toContain(`\`${e.cli.flag.split(' <')[0] ?? ''}`);
      if (!isUnsupported(e.clamd)) {
        expect(cli, e.clamd.directive).toContain(`\`${e.clamd.directive}\``);
        expect(daemon, e.clamd.directive).toContain(`\`${e.clamd.directive}\``);
      }
      if (!isUnsupported(e.library)) expect(cli, e.library).toContain(`\`${e.library}\``);
    }
  });
});
