/**
 * Checks an image archive before anything is imported: it must be a complete tar holding an OCI
 * layout (index.json) or a docker save (manifest.json), and every blob must match its digest. A
 * truncated or corrupt file is refused as a whole, so `images import` imports all or nothing.
 * Pure: the archive's bytes in, the image names out (or the reason).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export type ArchiveCheck = { ok: true; format: 'oci' | 'docker'; names: string[] } | { ok: false; reason: string };

interface Entries {
  files: Map<string, Buffer>;
}

async function readTar(data: Buffer): Promise<Entries> {
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([data]).pipe(extract);
  await done;
  return { files };
}

function parseJson(files: Map<string, Buffer>, name: string): unknown {
  const raw = files.get(name);
  if (!raw) return undefined;
  return JSON.parse(raw.toString('utf8'));
}

function badBlob(files: Map<string, Buffer>): string | undefined {
  for (const [name, content] of files) {
    const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    if (m && createHash('sha256').update(content).digest('hex') !== m[1]) return `${name} does not match its digest`;
  }
  return undefined;
}

export async function checkImageArchive(data: Buffer): Promise<ArchiveCheck> {
  let entries: Entries;
  try {
    entries = await readTar(data);
  } catch (err) {
    return { ok: false, reason: `not a complete tar archive (${(err as Error).message})` };
  }
  // A tar cut at a block boundary reads as complete but lacks the two zero blocks that end it.
  if (data.length < 1024 || data.subarray(data.length - 1024).some((b) => b !== 0)) return { ok: false, reason: 'the archive is truncated (no end-of-archive marker)' };
  const { files } = entries;
  try {
    const index = parseJson(files, 'index.json') as { manifests?: { digest?: string; annotations?: Record<string, string> }[] } | undefined;
    if (index) {
      const bad = badBlob(files);
      if (bad) return { ok: false, reason: bad };
      const manifests = index.manifests ?? [];
      const missing = manifests.find((m) => !files.has(`blobs/sha256/${String(m.digest).replace(/^sha256:/, '')}`));
      if (manifests.length === 0 || missing) return { ok: false, reason: `index.json names ${missing ? `a missing blob ${missing.digest}` : 'no image'}` };
      const names = manifests.map((m) => m.annotations?.['io.containerd.image.name'] ?? m.annotations?.['org.opencontainers.image.ref.name'] ?? m.digest ?? '');
      return { ok: true, format: 'oci', names };
    }
    const manifest = parseJson(files, 'manifest.json') as { Config?: string; RepoTags?: string[]; Layers?: string[] }[] | undefined;
    if (Array.isArray(manifest) && manifest.length > 0) {
      const missing = manifest.flatMap((m) => [m.Config ?? '', ...(m.Layers ?? [])]).find((f) => !files.has(f));
      if (missing !== undefined) return { ok: false, reason: `manifest.json names a missing file ${JSON.stringify(missing)}` };
      return { ok: true, format: 'docker', names: manifest.flatMap((m) => m.RepoTags ?? []) };
    }
  } catch (err) {
    return { ok: false, reason: `its index is not valid JSON (${(err as Error).message})` };
  }
  return { ok: false, reason: 'neither an OCI image layout (index.json) nor a docker archive (manifest.json)' };
}
