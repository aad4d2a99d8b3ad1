/**
 * The Chromium the dashboard story drives (through playwright-core, which downloads no browser)
 * and what `scripts/chromium.ts` (part of `npm test`'s pretest) does when there is none.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian's package: it installs `/usr/bin/chromium`. */
export const CHROMIUM_PACKAGE = 'chromium';

/** `name` as an executable file in one of `PATH`'s directories, or undefined. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** `$BLGV_CHROMIUM` when set, else `chromium` on `PATH` (Debian's), or undefined when neither. */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BLGV_CHROMIUM) return env.BLGV_CHROMIUM;
  return onPath('chromium', env.PATH);
}

/** What the machine allows to install a missing Chromium. */
export interface InstallRights {
  /** apt-get is there (a Debian-like system). */
  apt: boolean;
  /** We run as root. */
  root: boolean;
  /** `sudo -n` works (passwordless sudo). */
  sudo: boolean;
}

/** Found, to be installed with these commands (run in order), or missing with the fix. */
export type ChromiumPlan =
  | { kind: 'present'; path: string }
  | { kind: 'install'; commands: string[][] }
  | { kind: 'missing'; message: string };

/**
 * What to do about the dashboard story's browser. A `$BLGV_CHROMIUM` that does not exist is a
 * mistake to report, not something to install; a missing `chromium` is installed from Debian's
 * packages, non-interactively, when we are root or have passwordless sudo.
 */
export function chromiumPlan(
  env: NodeJS.ProcessEnv,
  exists: (path: string) => boolean,
  rights: InstallRights,
): ChromiumPlan {
  const found = chromiumExecutable(env);
  if (env.BLGV_CHROMIUM) {
    return found && exists(found)
      ? { kind: 'present', path: found }
      : { kind: 'missing', message: `BLGV_CHROMIUM=${env.BLGV_CHROMIUM} does not exist` };
  }
  if (found) return { kind: 'present', path: found };
  const fix =
    `install Debian's ${CHROMIUM_PACKAGE} (\`sudo apt-get install ${CHROMIUM_PACKAGE}\`), ` +
    'or put a Chromium binary on PATH as `chromium`, or set BLGV_CHROMIUM to one';
  if (!rights.apt) return { kind: 'missing', message: `no chromium on PATH and no apt-get: ${fix}` };
  if (!rights.root && !rights.sudo) {
    return { kind: 'missing', message: `no chromium on PATH, and not root nor passwordless sudo: ${fix}` };
  }
  const as = rights.root ? [] : ['sudo', '-n'];
  return {
    kind: 'install',
    commands: [
      [...as, 'apt-get', 'update'],
      [
        ...as,
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        '--no-install-recommends',
        CHROMIUM_PACKAGE,
      ],
    ],
  };
}
