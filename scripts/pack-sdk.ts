/**
 * Builds the publishable `@blgv/lsp-client`: compiles the SDK and the wire code it shares
 * with the server (`packages/protocol`) to ESM JavaScript with `.d.ts` declarations in
 * `.pack/lsp-client/`, and writes its package.json. `node scripts/pack-sdk.ts --pack` also
 * runs `npm pack` there. (In this repository the workspace uses the TypeScript sources.)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../packages/node-runner/src/binaries.ts';

const out = join(repoRoot, '.pack', 'lsp-client');
rmSync(out, { recursive: true, force: true });
const tsc = spawnSync(
  join(repoRoot, 'node_modules', '.bin', 'tsc'),
  ['-p', join(repoRoot, 'packages', 'client', 'tsconfig.pack.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// The shared wire code travels inside the package: point the bare import at it.
const protocolIndex = join(out, 'protocol', 'src', 'index.js');
function rewrite(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) rewrite(path);
    else if (/\.(js|d\.ts)$/.test(name)) {
      const rel = relative(dir, protocolIndex).replace(/\\/g, '/');
      const text = readFileSync(path, 'utf8').replaceAll(
        "'@blgv/protocol'",
        `'${rel.startsWith('.') ? rel : `./${rel}`}'`,
      );
      writeFileSync(path, text);
    }
  }
}
rewrite(join(out, 'client'));

const client = JSON.parse(readFileSync(join(repoRoot, 'packages', 'client', 'package.json'), 'utf8')) as {
  version: string;
  description: string;
  dependencies: Record<string, string>;
};
const protocol = JSON.parse(readFileSync(join(repoRoot, 'packages', 'protocol', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      name: '@blgv/lsp-client',
      version: client.version,
      description: client.description,
      license: 'MIT',
      type: 'module',
      exports: { '.': { types: './client/src/index.d.ts', default: './client/src/index.js' } },
      // @noble/hashes and @noble/curves (its BOLT 11 decoder's) need 20.19.
      engines: { node: '>=20.19' },
      // The SDK's own (its BOLT 11 decoder's) and the shared wire code's; the wire code itself is inside.
      dependencies: Object.fromEntries(
        Object.entries({ ...protocol.dependencies, ...client.dependencies })
          .filter(([name]) => name !== '@blgv/protocol')
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`built ${out}\n`);
if (process.argv.includes('--pack')) {
  const r = spawnSync('npm', ['pack', '--pack-destination', join(repoRoot, '.pack')], {
    cwd: out,
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
