/**
 * `blgv-lsp node-archive <file> <dir>`: opens the encrypted archive of a removed hosted node
 * (kept for `hosting.archiveRetentionSeconds`, see docs/hosting.md) with the server's secrets
 * key: extracts the node's data into `<dir>` and prints its manifest (with the seed and wallet
 * password unsealed, so the operator can restore the wallet with LND).
 */
import { SecretBox } from '../auth/secret-box.ts';
import type { Config } from '../config/config.ts';
import { openArchive } from '../hosting/node-archives.ts';

/** Usage of the node-archive command. */
export const ARCHIVE_USAGE = `usage:
  blgv-lsp node-archive <file> <dir>
      opens a removed hosted node's archive (needs BLGV_SECRETS_KEY): extracts its data
      into <dir> and prints its manifest, secrets unsealed`;

/** Runs `node-archive`; returns the text to print. */
export async function archiveCommand(config: Config, args: readonly string[]): Promise<string> {
  const [file, dir] = args;
  if (!file || !dir) throw new Error(ARCHIVE_USAGE);
  if (!config.secretsKey)
    throw new Error(`the secrets key is needed: set BLGV_SECRETS_KEY\n${ARCHIVE_USAGE}`);
  const box = new SecretBox(Buffer.from(config.secretsKey, 'hex'));
  const manifest = await openArchive(file, box.deriveKey('node-archive'), dir);
  const secrets = manifest.sealedSecrets ? (JSON.parse(box.open(manifest.sealedSecrets)) as unknown) : null;
  return `${JSON.stringify({ ...manifest, sealedSecrets: undefined, secrets, extractedTo: dir }, null, 2)}\n`;
}
