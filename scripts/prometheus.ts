/**
 * Builds the pinned Prometheus server (`tools/prometheus/`) from its Go module, for the
 * Prometheus story (`test/prometheus.test.ts`); part of `npm test`'s pretest.
 *
 *   node scripts/prometheus.ts build    # the binary, cached by version (warm: at once)
 *   node scripts/prometheus.ts bin-dir  # where it is cached
 *
 * The cache is `prometheusBinDir()` in `@blgv/node-runner`: `~/.cache/blgv-lsp/bin/` (or
 * `$BLGV_LSP_CACHE/bin/`), `prometheus-<module version>-<hash of go.mod, go.sum and the tags>`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PROMETHEUS_BUILD_TAGS,
  PROMETHEUS_PACKAGE,
  pinnedPrometheusVersion,
  prometheusBinDir,
  prometheusModuleDir,
} from '../packages/node-runner/src/prometheus-binary.ts';
import { go, goBuild, haveBinaries, removeStalePartials } from './go-build.ts';

const BINARIES = ['prometheus'];

function log(msg: string): void {
  process.stderr.write(`[prometheus] ${msg}\n`);
}

async function main(): Promise<void> {
  const cmd = process.argv[2] ?? 'build';
  const dir = prometheusBinDir();
  if (cmd === 'bin-dir') {
    process.stdout.write(`${dir}\n`);
    return;
  }
  if (cmd !== 'build') throw new Error(`unknown command ${cmd}; use build or bin-dir`);
  if (haveBinaries(dir, BINARIES)) {
    log(`found in ${dir}`);
    return;
  }
  const version = pinnedPrometheusVersion();
  log(
    `building the Prometheus server ${version} with Go for the Prometheus story (a cold build takes a few minutes)`,
  );
  // The release the module version stands for (v0.316.0 is 3.16.0), from the module's VERSION.
  const downloaded = go(prometheusModuleDir, [
    'mod',
    'download',
    '-json',
    'github.com/prometheus/prometheus',
  ]);
  const release = readFileSync(join(JSON.parse(downloaded).Dir, 'VERSION'), 'utf8').trim();
  await goBuild({
    what: `prometheus ${version}`,
    moduleDir: prometheusModuleDir,
    packages: [PROMETHEUS_PACKAGE],
    tags: PROMETHEUS_BUILD_TAGS,
    // What `prometheus --version` and its build_info series say.
    ldflags: `-X github.com/prometheus/common/version.Version=${release}`,
    binaries: BINARIES,
    dir,
    log,
  });
  removeStalePartials(dir);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
