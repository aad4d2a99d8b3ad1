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
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  LIGHTNING_BINARIES,
  LND_BUILD_TAGS,
  lightningBinDir,
  pinnedLndVersion,
  repoRoot,
} from '../packages/node-runner/src/binaries.ts';

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
];

const goEnv = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' };

function log(msg: string): void {
  process.stderr.write(`[lightning] ${msg}\n`);
}

function go(args: string[]): string {
  const r = spawnSync('go', args, { cwd: toolsDir, env: goEnv, encoding: 'utf8' });
  if (r.error)
    throw new Error(`cannot run go (${r.error.message}); install Go ${goVersionWanted()} or newer`);
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim();
}

function goVersionWanted(): string {
  return /^go (\S+)/m.exec(readFileSync(join(toolsDir, 'go.mod'), 'utf8'))?.[1] ?? '?';
}

function lndModuleDir(): string {
  log(`resolving lnd ${lndVersion()} in the Go module cache`);
  return go(['list', '-m', '-f', '{{.Dir}}', 'github.com/lightningnetwork/lnd']);
}

/** Copies the pinned protos next to the adapter and generates their TypeScript types. */
function protos(): void {
  const stamp = join(generatedDir, 'VERSION');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === lndVersion()) return;
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
  writeFileSync(join(tmp, 'VERSION'), `${lndVersion()}\n`);
  rmSync(generatedDir, { recursive: true, force: true });
  renameSync(tmp, generatedDir);
  log(`protos and types ready in ${relative(root, generatedDir)}`);
}

function haveBinaries(dir: string): boolean {
  return BINARIES.every((b) => existsSync(join(dir, b)) && statSync(join(dir, b)).size > 0);
}

/** Runs `go build -v`, turning its per-package lines into a progress percentage. */
async function buildBinaries(dir: string): Promise<void> {
  const started = Date.now();
  log(`building lnd ${lndVersion()}, lnd-lsps2-client + btcd with Go (a cold build takes several minutes)`);
  log('downloading Go modules…');
  go(['mod', 'download']);
  const tagArg = `-tags=${TAGS.join(' ')}`;
  const total = go(['list', '-deps', tagArg, ...PACKAGES]).split('\n').length;
  const tmp = `${dir}.partial-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['build', '-v', '-trimpath', tagArg, '-o', `${tmp}/`, ...PACKAGES], {
      cwd: toolsDir,
      env: goEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let done = 0;
    let lastPct = -1;
    let errText = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        if (/^[\w.\-/]+$/.test(line.trim())) done++;
        else errText += `${line}\n`;
      }
      const pct = Math.min(99, Math.floor((done / total) * 100));
      if (pct >= lastPct + 5) {
        lastPct = pct;
        log(`compiling: ${pct}% (${done}/${total} packages, ${Math.round((Date.now() - started) / 1000)}s)`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go build exited with ${code}:\n${errText}`)),
    );
  });
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`built ${BINARIES.join(', ')} in ${Math.round((Date.now() - started) / 1000)}s into ${dir}`);
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
  if (haveBinaries(dir)) log(`binaries found in ${dir}`);
  else await buildBinaries(dir);
  protos();
  for (const stale of readdirSync(dirname(dir)).filter((d) => d.includes('.partial-'))) {
    rmSync(join(dirname(dir), stale), { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
