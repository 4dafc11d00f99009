// Scans in-memory data, a file and a stream with Vigil's library API.
// Run it from the repository after `npm ci`:  node examples/scan-buffers.mjs
import { Readable } from 'node:stream';
import { createScanner } from 'vigil';

const scanner = await createScanner(); // the built-in database; pass { databases: ['/var/lib/clamav'] } for ClamAV's

const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*');
const upload = await scanner.scanBuffer(eicar, { path: 'upload.com' });
console.log(upload.verdict, upload.findings.map((f) => f.signature).join(', '));

const streamed = await scanner.scanStream(Readable.from([Buffer.from('harmless '), Buffer.from('text')]));
console.log(streamed.verdict);

await scanner.close();
