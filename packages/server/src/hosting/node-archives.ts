/**
 * Archives of removed hosted nodes: when a deleted node is removed, its data (the driver's tar of
 * its LND directory: wallet, channel database, TLS key) is kept encrypted, with a manifest
 * holding its sealed seed and password and its latest static channel backup, for the retention
 * period (`hosting.archiveRetentionSeconds`); the `hosting-archives` job then purges it. An
 * operator opens one with `blgv-lsp node-archive <file> <dir>` (it needs the secrets key).
 *
 * File format (`<nodeId>-<time>.blgv-archive`): `BLGVNA01`, a 12-byte IV, then AES-256-GCM
 * (key derived from the secrets key for this purpose) of a 4-byte big-endian manifest length,
 * the manifest (JSON) and the tar.gz; the 16-byte authentication tag last. It is written to a
 * `.partial` file and renamed when complete.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar';

const MAGIC = Buffer.from('BLGVNA01');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SUFFIX = '.blgv-archive';

/** What an archive says about its node. */
export interface ArchiveManifest {
  readonly nodeId: string;
  readonly tenantId: string;
  readonly pubkey: string | null;
  readonly alias: string;
  readonly createdAt: string;
  readonly archivedAt: string;
  /** The node's secrets (seed, wallet password, macaroons), still sealed under the secrets key. */
  readonly sealedSecrets: string | null;
  /** Its latest static channel backup (LND's multi-channel backup, base64), if any. */
  readonly channelBackup: string | null;
  /** Where its funds were swept during the deletion. */
  readonly sweeps: readonly { readonly txid: string; readonly amount: string; readonly address: string }[];
}

/** Encrypted archives of removed nodes, in one directory. */
export class NodeArchives {
  readonly #dir: string;
  readonly #key: Buffer;

  /** `key`: 32 bytes (derive it from the secrets key: `box.deriveKey('node-archive')`). */
  constructor(options: { readonly dir: string; readonly key: Buffer }) {
    if (options.key.length !== 32) throw new RangeError('archive key must be 32 bytes');
    this.#dir = options.dir;
    this.#key = options.key;
  }

  /** The directory archives are kept in. */
  get dir(): string {
    return this.#dir;
  }

  /** Writes an archive of `data` (the driver's tar.gz) with `manifest`; answers its reference. */
  async write(manifest: ArchiveManifest, data: AsyncIterable<Uint8Array>): Promise<string> {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const ref = `${manifest.nodeId}-${Date.now()}${SUFFIX}`;
    const path = join(this.#dir, ref);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const head = Buffer.from(JSON.stringify(manifest));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(head.length);
    async function* sealed() {
      yield Buffer.concat([MAGIC, iv]);
      yield cipher.update(Buffer.concat([length, head]));
      for await (const chunk of data) yield cipher.update(chunk);
      yield cipher.final();
      yield cipher.getAuthTag();
    }
    await pipeline(sealed, createWriteStream(`${path}.partial`, { mode: 0o600 }));
    renameSync(`${path}.partial`, path);
    return ref;
  }

  /** The newest archive of a node, if any (references are `<node id>-<ms>.…`). */
  latest(nodeId: string): string | undefined {
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return undefined;
    }
    const stamp = (ref: string) => Number(ref.slice(nodeId.length + 1, -SUFFIX.length));
    return names
      .filter((n) => n.startsWith(`${nodeId}-`) && n.endsWith(SUFFIX) && Number.isFinite(stamp(n)))
      .sort((a, b) => stamp(b) - stamp(a))[0];
  }

  /** The size of an archive in bytes (undefined when it is gone). */
  size(ref: string): number | undefined {
    try {
      return statSync(this.#path(ref)).size;
    } catch {
      return undefined;
    }
  }

  /** Deletes an archive (gone already is fine). */
  purge(ref: string): void {
    rmSync(this.#path(ref), { force: true });
  }

  /** The path of an archive by its reference. */
  #path(ref: string): string {
    if (basename(ref) !== ref || !ref.endsWith(SUFFIX)) throw new Error(`not an archive reference: ${ref}`);
    return join(this.#dir, ref);
  }
}

/**
 * Opens an archive file with the archive key: checks it is whole and unaltered, extracts the
 * node's data under `outDir` and answers the manifest. Nothing is extracted from an archive that
 * does not authenticate.
 */
export async function openArchive(file: string, key: Buffer, outDir: string): Promise<ArchiveManifest> {
  const size = statSync(file).size;
  const handle = await open(file, 'r');
  const header = Buffer.alloc(MAGIC.length + IV_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    await handle.read(header, 0, header.length, 0);
    await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    await handle.close();
  }
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${file} is not a node archive`);
  const decipher = createDecipheriv('aes-256-gcm', key, header.subarray(MAGIC.length));
  decipher.setAuthTag(tag);
  mkdirSync(outDir, { recursive: true });
  // Decrypted to a file first: a tar is extracted only once the whole archive authenticated.
  const plainPath = join(outDir, '.archive.plain');
  try {
    await pipeline(
      createReadStream(file, { start: header.length, end: size - TAG_BYTES - 1 }),
      decipher,
      createWriteStream(plainPath, { mode: 0o600 }),
    );
    const plain = await open(plainPath, 'r');
    let manifest: ArchiveManifest;
    try {
      const length = Buffer.alloc(4);
      await plain.read(length, 0, 4, 0);
      const head = Buffer.alloc(length.readUInt32BE());
      await plain.read(head, 0, head.length, 4);
      manifest = JSON.parse(head.toString('utf8')) as ArchiveManifest;
      await pipeline(createReadStream(plainPath, { start: 4 + head.length }), extract({ cwd: outDir }));
    } finally {
      await plain.close();
    }
    return manifest;
  } finally {
    rmSync(plainPath, { force: true });
  }
}
