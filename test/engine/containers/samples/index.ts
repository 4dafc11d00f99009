/**
 * The sample sets of every container format, by the name its reader registers (registry.ts).
 * registry.test.ts requires one for every registered reader: a new format adds its file here.
 */
import { arjSamples } from './arj.js';
import { binHexSamples } from './binhex.js';
import { bzip2Samples } from './bzip2.js';
import { cabSamples } from './cab.js';
import { chmSamples } from './chm.js';
import { cpioSamples } from './cpio.js';
import { gzipSamples } from './gzip.js';
import { htmlDataSamples } from './html-data.js';
import { installShieldCabSamples } from './ishield-cab.js';
import { lzmaSamples } from './lzma.js';
import { mailSamples } from './mail.js';
import { mboxSamples } from './mbox.js';
import { nsisSamples } from './nsis.js';
import { ole2Samples } from './ole2.js';
import { pdfSamples } from './pdf.js';
import { peOverlaySamples } from './pe-overlay.js';
import { rarSamples } from './rar.js';
import { rar5Samples } from './rar5.js';
import { rtfSamples } from './rtf.js';
import type { SampleSet } from './sample-set.js';
import { sevenZipSamples } from './seven-zip.js';
import { sisSamples } from './sis.js';
import { szddSamples } from './szdd.js';
import { tarSamples } from './tar.js';
import { tnefSamples } from './tnef.js';
import { xzSamples } from './xz.js';
import { zSamples } from './z.js';
import { zipSamples } from './zip.js';

export const SAMPLE_SETS: Readonly<Record<string, SampleSet>> = {
  '7z': sevenZipSamples,
  arj: arjSamples,
  binhex: binHexSamples,
  bzip2: bzip2Samples,
  cab: cabSamples,
  chm: chmSamples,
  cpio: cpioSamples,
  gzip: gzipSamples,
  'html-data': htmlDataSamples,
  'ishield-cab': installShieldCabSamples,
  lzma: lzmaSamples,
  mail: mailSamples,
  mbox: mboxSamples,
  nsis: nsisSamples,
  ole2: ole2Samples,
  pdf: pdfSamples,
  'pe-overlay': peOverlaySamples,
  rar: rarSamples,
  rar5: rar5Samples,
  rtf: rtfSamples,
  sis: sisSamples,
  szdd: szddSamples,
  tar: tarSamples,
  tnef: tnefSamples,
  xz: xzSamples,
  z: zSamples,
  zip: zipSamples,
};

export type { SampleSet } from './sample-set.js';
