// An upload endpoint that scans each file while it arrives and stores it only if it is clean:
// an infected upload is refused (422) before a byte of it touches the disk.
//
//   node examples/upload/upload-server.mjs                         # scans in process (Vigil's library)
//   VIGIL_DAEMON=127.0.0.1:3310 node examples/upload/upload-server.mjs   # or with a daemon (vigil daemon, clamd)
//   curl -F file=@report.pdf http://127.0.0.1:8080/upload
//
// Environment: PORT (8080; 0 picks a free one), UPLOAD_DIR (./uploads), VIGIL_DAEMON (host:port).
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createScanner } from 'vigil';
import { ClamdClient } from 'vigil/clamd-client';

const MAX_UPLOAD = 25 * 1024 * 1024;
const uploadDir = process.env.UPLOAD_DIR ?? 'uploads';
await mkdir(uploadDir, { recursive: true });

// One scanner for the whole process: the database is loaded once.
const [host, port] = (process.env.VIGIL_DAEMON ?? '').split(':');
const daemon = host ? new ClamdClient({ host, port: Number(port), timeoutMs: 30_000 }) : null;
const scanner = daemon ? null : await createScanner();
async function scan(stream, name) {
  if (daemon) {
    const r = await daemon.scanStream(stream);
    return { infected: r.verdict === 'infected', signatures: r.signature ? [r.signature] : [] };
  }
  const r = await scanner.scanStream(stream, { path: name });
  return { infected: r.verdict === 'infected', signatures: r.findings.map((f) => f.signature) };
}

const app = Fastify();
await app.register(multipart, { limits: { fileSize: MAX_UPLOAD, files: 1, fields: 10 } });

app.post('/upload', async (request, reply) => {
  const part = await request.file();
  if (!part) return reply.code(400).send({ error: 'send the file as multipart/form-data field "file"' });
  // The bytes stay in memory, and go to the scanner as they arrive, until the verdict is known.
  const chunks = [];
  const tee = (async function* () {
    for await (const chunk of part.file) {
      chunks.push(chunk);
      yield chunk;
    }
  })();
  const verdict = await scan(tee, part.filename);
  if (part.file.truncated) return reply.code(413).send({ error: `larger than ${MAX_UPLOAD} bytes` });
  if (verdict.infected) return reply.code(422).send({ error: 'infected', signatures: verdict.signatures });
  // A name of our own: the client's file name is only metadata, never a path.
  const id = randomUUID();
  await writeFile(join(uploadDir, id), Buffer.concat(chunks), { flag: 'wx' });
  return reply.code(201).send({ id, name: part.filename, bytes: chunks.reduce((n, c) => n + c.length, 0) });
});

const address = await app.listen({ port: Number(process.env.PORT ?? 8080), host: '127.0.0.1' });
console.log(`listening on ${address}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await app.close();
    await scanner?.close();
  });
}
