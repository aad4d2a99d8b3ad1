/**
 * Where the pinned lnd/btcd binaries live. `scripts/lightning.ts build` puts them there; the
 * key (lnd version + hash of the pinning module, our own Go sources and the build tags) must
 * match the one it uses.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `packages/node-runner/src/binaries.ts`). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const toolsDir = join(repoRoot, 'tools', 'lnd');

/**
 * lnd build tags: the RPC sub-servers the LSP uses, all among lnd's own release tags (so a
 * `lightninglabs/lnd` image serves the same). `watchtowerrpc` tells where the LSP's own tower
 * listens. The tower client's sub-server (`wtclientrpc`, which registers that tower with each
 * hosted node) needs no tag: lnd v0.21 compiles it into every build. No `integration` tag (it
 * disables anchors).
 */
export const LND_BUILD_TAGS = [
  'signrpc',
  'walletrpc',
  'chainrpc',
  'invoicesrpc',
  'peersrpc',
  'autopilotrpc',
  'watchtowerrpc',
];

/**
 * The binaries we build. `lnd-lsps2-client` is lnd with the LSPS2 client hook
 * (`tools/lnd/cmd/lnd-lsps2-client`): a wallet node that accepts JIT channel payments with the
 * opening fee deducted. The LSP itself runs the stock `lnd`.
 */
export const LIGHTNING_BINARIES = ['lnd', 'lncli', 'btcd', 'btcctl', 'lnd-lsps2-client'] as const;

/** Our own Go programs in `tools/lnd/cmd/`, built with the pinned lnd. */
const OWN_GO_COMMANDS_DIR = join(toolsDir, 'cmd');

/** Every file under `dir`, as paths relative to it, sorted (so a hash over them is stable). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** The version of `module` that the pinning module in `moduleDir` requires in its go.mod. */
export function pinnedModuleVersion(moduleDir: string, module: string): string {
  const mod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const m = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(mod);
  if (!m?.[1]) throw new Error(`${moduleDir}/go.mod does not require ${module}`);
  return m[1];
}

/** The lnd version pinned in `tools/lnd/go.mod`. */
export function pinnedLndVersion(): string {
  return pinnedModuleVersion(toolsDir, 'github.com/lightningnetwork/lnd');
}

/** The cache root, `$BLGV_LSP_CACHE` or `~/.cache/blgv-lsp`. */
export function cacheDir(): string {
  return process.env.BLGV_LSP_CACHE ?? join(homedir(), '.cache', 'blgv-lsp');
}

/**
 * The cache key of what a pinning Go module builds: a short hash of its go.mod and go.sum, the
 * build tags and every file under `sourcesDir` (our own Go sources, so editing them rebuilds).
 */
export function goBuildKey(moduleDir: string, tags: readonly string[], sourcesDir?: string): string {
  const hash = createHash('sha256')
    .update(readFileSync(join(moduleDir, 'go.mod')))
    .update(readFileSync(join(moduleDir, 'go.sum')))
    .update(tags.join(','));
  if (sourcesDir) {
    for (const file of filesUnder(sourcesDir)) {
      hash.update(`\0${file}\0`).update(readFileSync(join(sourcesDir, file)));
    }
  }
  return hash.digest('hex').slice(0, 10);
}

/** The directory holding the binaries of the pinned version (`$BLGV_LSP_BIN_DIR` overrides). */
export function lightningBinDir(): string {
  if (process.env.BLGV_LSP_BIN_DIR) return process.env.BLGV_LSP_BIN_DIR;
  const key = goBuildKey(toolsDir, LND_BUILD_TAGS, OWN_GO_COMMANDS_DIR);
  return join(cacheDir(), 'bin', `lnd-${pinnedLndVersion()}-${key}`);
}

/**
 * lnd's own build tag for cheap wallet encryption (scrypt cut down, as its integration tests
 * build it): creating and unlocking a wallet takes a fraction of a second instead of seconds of
 * CPU. Only for regtest nodes, whose coins are worthless: never for a real network.
 */
export const LOW_SCRYPT_TAG = 'lowscrypt';

/** The binaries built a second time with {@link LOW_SCRYPT_TAG}, for regtest nodes. */
export const REGTEST_LIGHTNING_BINARIES = ['lnd', 'lnd-lsps2-client'] as const;

/** The directory of the regtest builds ({@link REGTEST_LIGHTNING_BINARIES}), beside the others. */
export function regtestLightningBinDir(): string {
  if (process.env.BLGV_LSP_BIN_DIR) return join(process.env.BLGV_LSP_BIN_DIR, 'regtest');
  const key = goBuildKey(toolsDir, [...LND_BUILD_TAGS, LOW_SCRYPT_TAG], OWN_GO_COMMANDS_DIR);
  return join(cacheDir(), 'bin', `lnd-regtest-${pinnedLndVersion()}-${key}`);
}

/** Path of a regtest build (cheap wallet encryption); throws with the fix when it is missing. */
export function regtestLightningBinary(name: (typeof REGTEST_LIGHTNING_BINARIES)[number]): string {
  const path = join(regtestLightningBinDir(), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:lightning\` first`);
  return path;
}

/** Path of one binary; throws with the fix when it has not been built. */
export function lightningBinary(name: (typeof LIGHTNING_BINARIES)[number]): string {
  const path = join(lightningBinDir(), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:lightning\` first`);
  return path;
}
