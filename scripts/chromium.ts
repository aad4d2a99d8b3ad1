/**
 * Makes sure the dashboard story (`test/dashboard.test.ts`) has its browser; part of `npm test`'s
 * pretest. `$BLGV_CHROMIUM`, or `chromium` on PATH, is used as it is; without one, Debian's
 * `chromium` is installed with apt-get (non-interactively, as root or with passwordless sudo),
 * and otherwise this fails saying what to install.
 *
 *   node scripts/chromium.ts            # check, install when missing
 *   node scripts/chromium.ts --dry-run  # say what it would do
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumExecutable, chromiumPlan, onPath } from '../packages/node-runner/src/chromium.ts';

/** apt-get and dpkg need the system's directories on PATH whatever ours is. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function log(msg: string): void {
  process.stderr.write(`[chromium] ${msg}\n`);
}

function passwordlessSudo(): boolean {
  if (!onPath('sudo', `${process.env.PATH}:${SYSTEM_PATH}`)) return false;
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', env: withSystemPath() }).status === 0;
}

function withSystemPath(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${process.env.PATH}:${SYSTEM_PATH}` };
}

function main(): void {
  const dryRun = process.argv.includes('--dry-run');
  const root = process.getuid?.() === 0;
  const plan = chromiumPlan(process.env, existsSync, {
    apt: onPath('apt-get', `${process.env.PATH}:${SYSTEM_PATH}`) !== undefined,
    root,
    sudo: !root && passwordlessSudo(),
  });
  if (plan.kind === 'present') {
    log(`found ${plan.path}`);
    return;
  }
  if (plan.kind === 'missing') {
    throw new Error(`the dashboard story needs Chromium: ${plan.message}`);
  }
  log("no chromium on PATH: installing Debian's chromium for the dashboard story (a minute or two)");
  for (const command of plan.commands) {
    log(`${dryRun ? 'would run' : 'running'}: ${command.join(' ')}`);
    if (dryRun) continue;
    // apt-get prints its own progress (downloads, unpacking) on our terminal.
    const [cmd = '', ...args] = command;
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: withSystemPath() });
    if (r.status !== 0) throw new Error(`${command.join(' ')} failed (exit ${r.status ?? r.signal})`);
  }
  if (dryRun) return;
  const installed = chromiumExecutable();
  if (!installed) throw new Error('chromium was installed but is not on PATH (Debian puts it in /usr/bin)');
  log(`installed ${installed}`);
}

try {
  main();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
