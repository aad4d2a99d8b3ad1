/**
 * Builds binaries from a pinning Go module into a cache directory, with progress: shared by
 * `scripts/lightning.ts` (lnd, btcd) and `scripts/prometheus.ts`. The build goes to a
 * `<dir>.partial-<pid>` directory renamed into place at the end, so an interrupted build is
 * never taken for a finished one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Go's environment for our builds: the machine's toolchain, static binaries, go.sum as committed. */
export const goEnv = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' };

/** A build of `packages` from the module in `moduleDir` into `dir`. */
export interface GoBuild {
  /** What is built, for the progress lines ("lnd v0.21.3-beta, btcd"). */
  what: string;
  moduleDir: string;
  packages: readonly string[];
  tags: readonly string[];
  /** Extra `-ldflags`, if any. */
  ldflags?: string;
  /** The files the build leaves in `dir` (one per main package). */
  binaries: readonly string[];
  dir: string;
  log: (msg: string) => void;
}

/** The Go version the module asks for (`go` line of its go.mod). */
function goVersionWanted(moduleDir: string): string {
  return /^go (\S+)/m.exec(readFileSync(join(moduleDir, 'go.mod'), 'utf8'))?.[1] ?? '?';
}

/** Runs `go` in `moduleDir` and returns its output; throws with Go's message. */
export function go(moduleDir: string, args: string[]): string {
  const r = spawnSync('go', args, { cwd: moduleDir, env: goEnv, encoding: 'utf8' });
  if (r.error) {
    throw new Error(`cannot run go (${r.error.message}); install Go ${goVersionWanted(moduleDir)} or newer`);
  }
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim();
}

/** Whether `dir` holds every binary, each non-empty. */
export function haveBinaries(dir: string, binaries: readonly string[]): boolean {
  return binaries.every((b) => existsSync(join(dir, b)) && statSync(join(dir, b)).size > 0);
}

/** Runs `go build -v`, turning its per-package lines into a progress percentage. */
export async function goBuild(b: GoBuild): Promise<void> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  b.log('downloading Go modules…');
  go(b.moduleDir, ['mod', 'download']);
  const tagArg = `-tags=${b.tags.join(' ')}`;
  const total = go(b.moduleDir, ['list', '-deps', tagArg, ...b.packages]).split('\n').length;
  const tmp = `${b.dir}.partial-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  const args = ['build', '-v', '-trimpath', tagArg, ...(b.ldflags ? [`-ldflags=${b.ldflags}`] : [])];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', [...args, '-o', `${tmp}/`, ...b.packages], {
      cwd: b.moduleDir,
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
        b.log(`compiling ${b.what}: ${pct}% (${done}/${total} packages, ${seconds()}s)`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go build exited with ${code}:\n${errText}`)),
    );
  });
  mkdirSync(dirname(b.dir), { recursive: true });
  rmSync(b.dir, { recursive: true, force: true });
  renameSync(tmp, b.dir);
  b.log(`built ${b.binaries.join(', ')} in ${seconds()}s into ${b.dir}`);
}

/** Whether a process `pid` exists (the build that owns a `.partial-<pid>` directory). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what interrupted builds left in `dir`'s parent: `.partial-<pid>` directories whose
 * process is gone (a build running in another checkout keeps its own).
 */
export function removeStalePartials(dir: string): void {
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    const pid = Number(/\.partial-(\d+)$/.exec(entry)?.[1]);
    if (pid && !running(pid)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}
