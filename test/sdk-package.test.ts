/**
 * Story: an integrator installs the built `@blgv/lsp-client`: plain Node (no TypeScript)
 * imports it as ESM and gets typed errors, decodes an invoice and checks a wrapped one with its
 * own dependencies, and TypeScript checks calls against its `.d.ts`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');
/** BOLT 11's "1 cup coffee" example, to decode with the built package. */
const COFFEE =
  'lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh';

test('the built SDK runs as plain ESM and type-checks a consumer', () => {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'pack-sdk.ts')], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const app = mkdtempSync(join(tmpdir(), 'blgv-sdk-consumer-'));
  try {
    // Install the built package as npm would lay it out; its dependencies come from ours.
    const modules = join(app, 'node_modules');
    cpSync(join(root, '.pack', 'lsp-client'), join(modules, '@blgv', 'lsp-client'), { recursive: true });
    const packed = JSON.parse(readFileSync(join(root, '.pack', 'lsp-client', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dep of new Set(Object.keys(packed.dependencies).map((d) => d.split('/')[0] ?? d)))
      symlinkSync(join(root, 'node_modules', dep), join(modules, dep));
    writeFileSync(join(app, 'package.json'), '{"type":"module"}');

    writeFileSync(
      join(app, 'main.js'),
      `import { LSPClient, LspApiError, verifyWebhook, decodeBolt11, verifyWrappedInvoice, Bolt11DecodeError } from '@blgv/lsp-client';
const lsp = new LSPClient({ endpoint: 'http://127.0.0.1:9', apiKey: 'key_x', apiSecret: 'sk_x', timeoutMs: 2000 });
try { await lsp.getFees(); console.log('unexpected'); }
catch (e) { console.log(e instanceof LspApiError ? 'typed:' + e.code : 'untyped'); }
try { verifyWebhook({}, '{}', 'whsec_AAAA'); } catch (e) { console.log(e.name); }
const coffee = '${COFFEE}';
const invoice = decodeBolt11(coffee);
console.log(invoice.payee.slice(0, 8), invoice.amountMsat);
const same = await verifyWrappedInvoice(coffee, coffee, { fee_amount_msat: 0 }, { lspPubkey: invoice.payee, nowSeconds: invoice.timestamp });
console.log(same.failures.map((f) => f.code).join());
try { decodeBolt11('lnbc1'); } catch (e) { console.log(e instanceof Bolt11DecodeError ? e.code : 'untyped'); }
`,
    );
    const run = spawnSync(process.execPath, ['--no-experimental-strip-types', join(app, 'main.js')], {
      encoding: 'utf8',
      cwd: app,
    });
    assert.equal(
      run.stdout.trim(),
      'typed:unreachable\nWebhookVerificationError\n03e7156a 250000000n\ncltv_too_small\nnot_bech32',
      run.stderr,
    );

    mkdirSync(join(app, 'src'));
    writeFileSync(
      join(app, 'src', 'use.ts'),
      `import { type ChannelResponse, decodeBolt11, LSPClient, verifyWrappedInvoice, type WrappedInvoiceCheck } from '@blgv/lsp-client';
const lsp = new LSPClient({ endpoint: 'https://lsp.example', apiKey: 'key_x', apiSecret: 'sk_x' });
export const ok: Promise<ChannelResponse> = lsp.requestChannel({ clientPubkey: '02ab', channelSize: 1_000_000, pushAmount: 100_000 });
// @ts-expect-error channelSize is a number of sats, not a string
export const bad = lsp.requestChannel({ clientPubkey: '02ab', channelSize: '1000000' });
export const order = lsp.lsps1.getOrder('id').then((o) => o.payment.bolt11.invoice.length);
export const check: Promise<WrappedInvoiceCheck> = verifyWrappedInvoice('lnbc…', 'lnbc…', { fee_amount_msat: '1000' }, { endpoint: 'https://lsp.example' });
export const amount: bigint | undefined = decodeBolt11('lnbc…').amountMsat;
// @ts-expect-error the check needs the LSP's node id or where to read it
export const unnamed = verifyWrappedInvoice('lnbc…', 'lnbc…', { fee_amount_msat: 1000 }, {});
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          skipLibCheck: false,
          lib: ['es2022', 'dom'],
          types: [],
        },
        include: ['src'],
      }),
    );
    const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', app], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
