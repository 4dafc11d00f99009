/** Prints scan results as clamscan does (or as JSON lines) and keeps the counts for the summary. */
import { CLOUD_DETECTION_NAME } from '../agent/index.js';
import type { ScanResult } from '../engine/index.js';
import { formatMiB } from './sizes.js';

export interface ReportOptions {
  json: boolean;
  infectedOnly: boolean;
  suppressOk: boolean;
  /** Where result lines go (stdout, or through the progress bar). */
  write: (line: string) => void;
}

export class ScanReport {
  knownSignatures = 0;
  directories = 0;
  files = 0;
  infected = 0;
  errors = 0;
  bytesScanned = 0;
  bytesRead = 0;
  /** Like clamscan's, the time covers loading the database too. */
  constructor(private readonly opts: ReportOptions, readonly started = new Date()) {}

  private line(text: string, json: Record<string, unknown>, important: boolean): void {
    if (this.opts.json) this.opts.write(JSON.stringify(json));
    else if (important || !this.opts.infectedOnly) this.opts.write(text);
  }

  result(path: string, r: ScanResult): void {
    this.files++;
    this.bytesScanned += r.bytesScanned;
    this.bytesRead += r.size;
    if (r.infected) this.infected++;
    if (this.opts.json) {
      const o: Record<string, unknown> = {
        path, result: r.verdict, findings: r.findings.map((f) => ({ signature: f.signature, kind: f.kind, path: f.path })),
        size: r.size, fileType: r.fileType,
      };
      if (r.limit) o.limit = r.limit;
      if (r.limits) o.limits = r.limits;
      if (r.issues) o.issues = r.issues;
      if (r.containers) o.containers = r.containers;
      if (r.allowListed) o.allowListed = true;
      this.opts.write(JSON.stringify(o));
      return;
    }
    if (r.infected) for (const f of r.findings) this.opts.write(`${path}: ${f.signature} FOUND`);
    else if (!this.opts.infectedOnly && !this.opts.suppressOk) this.opts.write(`${path}: OK`);
  }

  /**
   * A file the engine found nothing in but the security network knows as malicious: reported as
   * `PATH: Vigil.Cloud.Malicious FOUND` and counted as infected; in JSON with `"cloud": true`, the
   * verdict's source and the names the cloud gives.
   */
  cloudDetection(path: string, r: ScanResult, cloud: { source: string; detection_names: string[] }): void {
    this.files++;
    this.bytesScanned += r.bytesScanned;
    this.bytesRead += r.size;
    this.infected++;
    if (this.opts.json) {
      this.opts.write(JSON.stringify({
        path, result: 'infected', findings: [{ signature: CLOUD_DETECTION_NAME, kind: 'cloud', path }],
        size: r.size, fileType: r.fileType, cloud: true, source: cloud.source, detectionNames: cloud.detection_names,
      }));
      return;
    }
    this.opts.write(`${path}: ${CLOUD_DETECTION_NAME} FOUND`);
  }

  error(path: string, reason: string): void {
    this.errors++;
    this.line(`${path}: ${reason} ERROR`, { path, result: 'error', error: reason }, false);
  }

  note(path: string, what: 'Empty file' | 'Excluded' | 'Symbolic link'): void {
    const result = { 'Empty file': 'empty', Excluded: 'excluded', 'Symbolic link': 'symlink' }[what];
    this.line(`${path}: ${what}`, { path, result }, false);
  }

  /** The summary block, with clamscan's labels and units (MiB printed as MB, like clamscan 1.4). */
  summary(engineVersion: string): string {
    const ended = new Date();
    const ms = ended.getTime() - this.started.getTime();
    if (this.opts.json) {
      return JSON.stringify({
        summary: {
          knownSignatures: this.knownSignatures, engineVersion, scannedDirectories: this.directories, scannedFiles: this.files,
          infectedFiles: this.infected, totalErrors: this.errors, bytesScanned: this.bytesScanned, bytesRead: this.bytesRead,
          seconds: ms / 1000, start: this.started.toISOString(), end: ended.toISOString(),
        },
      });
    }
    const ratio = this.bytesRead > 0 ? (this.bytesScanned / this.bytesRead).toFixed(2) : '0.00';
    const secs = Math.floor(ms / 1000);
    const lines = [
      '',
      '----------- SCAN SUMMARY -----------',
      `Known viruses: ${this.knownSignatures}`,
      `Engine version: ${engineVersion}`,
      `Scanned directories: ${this.directories}`,
      `Scanned files: ${this.files}`,
      `Infected files: ${this.infected}`,
    ];
    if (this.errors > 0) lines.push(`Total errors: ${this.errors}`);
    lines.push(
      `Data scanned: ${formatMiB(this.bytesScanned)} MB`,
      `Data read: ${formatMiB(this.bytesRead)} MB (ratio ${ratio}:1)`,
      `Time: ${(ms / 1000).toFixed(3)} sec (${Math.floor(secs / 60)} m ${secs % 60} s)`,
      `Start Date: ${clamDate(this.started)}`,
      `End Date:   ${clamDate(ended)}`,
    );
    return lines.join('\n');
  }
}

function clamDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}:${p(d.getMonth() + 1)}:${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
