/**
 * Builds the pinned Lightning binaries (lnd, lncli, btcd, btcctl, and our lnd-lsps2-client: lnd
 * with the LSPS2 client hook) from their Go modules and prepares the gRPC protos and TypeScript
 * types for `@blgv/lnd`.
 *
 *   node scripts/lightning.ts build   # binaries (cached by version) + protos
 *   node scripts/lightning.ts protos  # protos + generated types only
 *
 * The module that pins the versions is `tools/lnd/`. Binaries are cached outside the repo (see
 * `lightningBinDir` in `@blgv/node-runner`), keyed by the lnd version and a hash of go.mod, go.sum,
 * our Go sources under `tools/lnd/cmd/` and the build tags, so a warm run returns at once.
 * lnd and lnd-lsps2-client are built a second time with lnd's `lowscrypt` tag for regtest
 * nodes (tests, the embedded network): their wallets are created and unlocked in a fraction of a
 * second instead of seconds of CPU each.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  LIGHTNING_BINARIES,
  LND_BUILD_TAGS,
  LOW_SCRYPT_TAG,
  lightningBinDir,
  pinnedLndVersion,
  REGTEST_LIGHTNING_BINARIES,
  regtestLightningBinDir,
  repoRoot,
} from '../packages/node-runner/src/binaries.ts';
import { go, goBuild, haveBinaries, removeStalePartials } from './go-build.ts';

const root = repoRoot;
const toolsDir = join(root, 'tools', 'lnd');
const generatedDir = join(root, 'packages', 'lnd', 'generated');
const TAGS = LND_BUILD_TAGS;
const BINARIES = LIGHTNING_BINARIES;
const lndVersion = pinnedLndVersion;
const binDir = lightningBinDir;
const PACKAGES = [
  'github.com/lightningnetwork/lnd/cmd/lnd',
  'github.com/lightningnetwork/lnd/cmd/lncli',
  'github.com/btcsuite/btcd',
  'github.com/btcsuite/btcd/cmd/btcctl',
  // Ours, in the same module as the pins, so it links exactly the lnd above (same tags too).
  'github.com/blgv/lsp/tools/lnd/cmd/lnd-lsps2-client',
];
/** The proto files the LND adapter loads, relative to lnd's `lnrpc/` directory. */
const PROTOS = [
  'lightning.proto',
  'walletunlocker.proto',
  'stateservice.proto',
  'routerrpc/router.proto',
  'invoicesrpc/invoices.proto',
  'walletrpc/walletkit.proto',
  'signrpc/signer.proto',
  'chainrpc/chainnotifier.proto',
  'peersrpc/peers.proto',
  'autopilotrpc/autopilot.proto',
  'verrpc/verrpc.proto',
  'watchtowerrpc/watchtower.proto',
  'wtclientrpc/wtclient.proto',
];

function log(msg: string): void {
  process.stderr.write(`[lightning] ${msg}\n`);
}

function lndModuleDir(): string {
  log(`resolving lnd ${lndVersion()} in the Go module cache`);
  return go(toolsDir, ['list', '-m', '-f', '{{.Dir}}', 'github.com/lightningnetwork/lnd']);
}

/** Copies the pinned protos next to the adapter and generates their TypeScript types. */
function protos(): void {
  // The stamp names the version and the protos: a checkout that adds a proto regenerates.
  const stamp = join(generatedDir, 'VERSION');
  const want = `${lndVersion()} ${PROTOS.join(',')}`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return;
  const src = join(lndModuleDir(), 'lnrpc');
  const tmp = `${generatedDir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  for (const p of PROTOS) {
    mkdirSync(dirname(join(tmp, 'proto', p)), { recursive: true });
    cpSync(join(src, p), join(tmp, 'proto', p));
  }
  log(`generating TypeScript types for ${PROTOS.length} protos`);
  const gen = join(root, 'node_modules', '.bin', 'proto-loader-gen-types');
  const r = spawnSync(
    gen,
    [
      ...PROTOS,
      '--longs=String',
      '--enums=String',
      '--defaults',
      '--oneofs',
      '--bytes=Buffer',
      '--keepCase',
      '--grpcLib=@grpc/grpc-js',
      `--outDir=${join(tmp, 'types')}`,
      '--importFileExtension=.ts',
      `--includeDirs=${join(tmp, 'proto')}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`proto-loader-gen-types failed:\n${r.stderr}${r.stdout}`);
  writeFileSync(join(tmp, 'VERSION'), `${want}\n`);
  rmSync(generatedDir, { recursive: true, force: true });
  renameSync(tmp, generatedDir);
  log(`protos and types ready in ${relative(root, generatedDir)}`);
}

async function main(): Promise<void> {
  const cmd = process.argv[2] ?? 'build';
  if (cmd === 'protos') {
    protos();
    return;
  }
  if (cmd === 'bin-dir') {
    process.stdout.write(`${binDir()}\n`);
    return;
  }
  if (cmd !== 'build') throw new Error(`unknown command ${cmd}; use build, protos or bin-dir`);
  const dir = binDir();
  if (haveBinaries(dir, BINARIES)) log(`binaries found in ${dir}`);
  else {
    log(`building lnd ${lndVersion()}, lnd-lsps2-client + btcd with Go (a cold build takes several minutes)`);
    await goBuild({
      what: `lnd ${lndVersion()} + btcd`,
      moduleDir: toolsDir,
      packages: PACKAGES,
      tags: TAGS,
      binaries: BINARIES,
      dir,
      log,
    });
  }
  const regtestDir = regtestLightningBinDir();
  if (haveBinaries(regtestDir, REGTEST_LIGHTNING_BINARIES)) log(`regtest builds found in ${regtestDir}`);
  else {
    log('building lnd and lnd-lsps2-client again for regtest nodes (lowscrypt: cheap wallet encryption)');
    await goBuild({
      what: `lnd ${lndVersion()} (lowscrypt)`,
      moduleDir: toolsDir,
      packages: PACKAGES.filter((p) => p.endsWith('/cmd/lnd') || p.endsWith('/lnd-lsps2-client')),
      tags: [...TAGS, LOW_SCRYPT_TAG],
      binaries: REGTEST_LIGHTNING_BINARIES,
      dir: regtestDir,
      log,
    });
  }
  protos();
  removeStalePartials(dir);
  removeStalePartials(regtestDir);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
