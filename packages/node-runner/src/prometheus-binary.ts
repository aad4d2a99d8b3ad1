/**
 * Where the pinned Prometheus server lives: the Prometheus story scrapes the LSP with it.
 * `scripts/prometheus.ts build` (part of `npm test`'s pretest) builds it from its Go module
 * (`tools/prometheus/`) into the same cache as lnd, keyed by its version and a hash of the
 * pinning module and the build tags.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, goBuildKey, pinnedModuleVersion, repoRoot } from './binaries.ts';

/** The Go module pinning Prometheus. */
export const prometheusModuleDir = join(repoRoot, 'tools', 'prometheus');

/** The Prometheus server's main package. */
export const PROMETHEUS_PACKAGE = 'github.com/prometheus/prometheus/cmd/prometheus';

/**
 * `remove_all_sd` leaves out the service-discovery plugins (cloud SDKs, Kubernetes): a third of
 * the packages to compile, and the story only uses `static_configs`. No `builtinassets`: the web
 * UI is not compiled in, the HTTP API is all there.
 */
export const PROMETHEUS_BUILD_TAGS = ['remove_all_sd'];

/** The Prometheus module version pinned in `tools/prometheus/go.mod` (v0.316.0 is Prometheus 3.16.0). */
export function pinnedPrometheusVersion(): string {
  return pinnedModuleVersion(prometheusModuleDir, 'github.com/prometheus/prometheus');
}

/** The directory holding the built `prometheus` of the pinned version. */
export function prometheusBinDir(): string {
  const key = goBuildKey(prometheusModuleDir, PROMETHEUS_BUILD_TAGS);
  return join(cacheDir(), 'bin', `prometheus-${pinnedPrometheusVersion()}-${key}`);
}

/** Path of the built `prometheus`; throws with the fix when it has not been built. */
export function prometheusBinary(): string {
  const path = join(prometheusBinDir(), 'prometheus');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build:prometheus\` first`);
  return path;
}
