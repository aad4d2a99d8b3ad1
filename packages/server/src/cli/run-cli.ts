/**
 * `blgv-lsp`: the command line of the LSP server. Its entry point (`packages/cli`) passes the
 * embedded regtest network `start` runs on when no LND is configured.
 *
 *   blgv-lsp start   start the LSP (on an embedded regtest network unless LND is configured)
 *   blgv-lsp keys    create or revoke API keys
 *   blgv-lsp audit   reconcile the ledger with LND (exit 1 on any discrepancy)
 *   blgv-lsp node-archive  open a removed hosted node's encrypted archive
 *   blgv-lsp help    this text and the configuration variables
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onShutdown } from '@blgv/node-runner';
import { type RunningLsp, startLsp } from '../app/runtime.ts';
import { ConfigError, ENV_VARS, loadConfig } from '../config/config.ts';
import type { EmbeddedNetworkStarter } from '../embedded-network.ts';
import { createLogger } from '../logger.ts';
import { ARCHIVE_USAGE, archiveCommand } from './archive-command.ts';
import { AUDIT_USAGE, auditCommand } from './audit-command.ts';
import { KEYS_USAGE, keysCommand } from './keys-command.ts';

function usage(): string {
  const vars = Object.entries(ENV_VARS).map(([k, v]) => `  ${k.padEnd(18)} ${v}`);
  return [
    'usage: blgv-lsp <command>',
    '',
    'commands:',
    '  start   start the LSP server',
    '  keys    create or revoke API keys',
    '  audit   reconcile the ledger with LND (exit 1 on any discrepancy)',
    "  node-archive  open a removed hosted node's encrypted archive",
    '  help    show this help',
    '',
    KEYS_USAGE,
    AUDIT_USAGE,
    ARCHIVE_USAGE,
    '',
    'configuration (environment):',
    ...vars,
    '',
  ].join('\n');
}

function banner(lsp: RunningLsp): string {
  const lines = ['', 'BLGV LSP is running', `  API:          ${lsp.url}   (health: ${lsp.url}/healthz)`];
  const host = lsp.network?.lsp.host ?? lsp.node.uris[0]?.split('@')[1];
  lines.push(`  LSP node:     ${lsp.node.pubkey}${host ? `@${host}` : ''}`);
  if (lsp.network) {
    const { lsp: node, client, btcd, dir } = lsp.network;
    lines.push(
      `  LND gRPC:     127.0.0.1:${node.rpcPort}  (tls.cert and macaroons under ${node.dir})`,
      `  Demo client:  ${client.pubkey}@${client.host}  (gRPC 127.0.0.1:${client.rpcPort})`,
      `  Network:      regtest, btcd RPC ${btcd.rpcHost} (user/pass blgv/blgv)`,
      `  Data/logs:    ${dir}  (e.g. ${join(node.dir, 'lnd.out.log')})`,
    );
  }
  lines.push(
    `  Database:     ${lsp.database.kind}`,
    `  API docs:     ${lsp.url}/docs`,
    `  Dashboard:    ${lsp.url}/dashboard   (sign in with an API key)`,
  );
  if (lsp.network) {
    lines.push(
      `  Walk-through: npm run demo -- ${join(lsp.network.dir, 'demo.json')}   (the spec's integration examples)`,
    );
  }
  if (lsp.bootstrapKey) {
    lines.push(
      '',
      'Admin API key (shown once; keep it):',
      `  key id:       ${lsp.bootstrapKey.keyId}`,
      `  secret:       ${lsp.bootstrapKey.secret}`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

async function start(options: CliOptions): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  log.info({ lightning: config.lightning.mode, database: config.database.kind }, 'starting BLGV LSP');
  const lsp = await startLsp(
    config,
    log,
    options.embeddedNetwork ? { embeddedNetwork: options.embeddedNetwork } : {},
  );
  onShutdown(async () => {
    log.info('stopping');
    await lsp.stop();
  });
  if (lsp.network && lsp.bootstrapKey) writeDemoFile(lsp);
  process.stdout.write(banner(lsp));
}

/**
 * Writes what the walk-through needs to reach the demo LSP and its client (`demo.json` in the
 * regtest data dir, which lives only as long as this run): the API, the admin key, and the demo
 * client's LND.
 */
function writeDemoFile(lsp: RunningLsp): void {
  const network = lsp.network;
  if (!network || !lsp.bootstrapKey) return;
  const { client } = network;
  const demo = {
    url: lsp.url,
    admin: { keyId: lsp.bootstrapKey.keyId, secret: lsp.bootstrapKey.secret },
    client: {
      pubkey: client.pubkey,
      rpcAddress: `127.0.0.1:${client.rpcPort}`,
      tlsCertPath: join(client.dir, 'tls.cert'),
      macaroonPath: join(client.dir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon'),
    },
  };
  writeFileSync(join(network.dir, 'demo.json'), `${JSON.stringify(demo, null, 2)}\n`, {
    mode: 0o600,
  });
}

/** What the entry point gives the CLI. */
export interface CliOptions {
  /** Starts the network `start` runs on when no LND is configured (the embedded regtest demo). */
  readonly embeddedNetwork?: EmbeddedNetworkStarter;
}

async function main(args: readonly string[], options: CliOptions): Promise<void> {
  const command = args[0] ?? 'help';
  if (command === 'start') return start(options);
  if (command === 'keys') {
    process.stdout.write(await keysCommand(loadConfig(), args.slice(1)));
    return;
  }
  if (command === 'audit') {
    const { text, clean } = await auditCommand(loadConfig(), args.slice(1));
    process.stdout.write(text);
    if (!clean) process.exitCode = 1;
    return;
  }
  if (command === 'node-archive') {
    process.stdout.write(await archiveCommand(loadConfig(), args.slice(1)));
    return;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage());
    return;
  }
  process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${usage()}`);
  process.exitCode = 2;
}

/**
 * Runs the command in `args` (`process.argv.slice(2)`); on an error prints it and exits with 1.
 * `start` keeps the process running until a shutdown signal.
 */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<void> {
  await main(args, options).catch((err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else {
      const debug = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
      process.stderr.write(
        `blgv-lsp: ${err instanceof Error ? ((debug ? err.stack : undefined) ?? err.message) : String(err)}\n`,
      );
    }
    process.exit(1);
  });
}
