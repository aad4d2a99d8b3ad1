/**
 * `blgv-lsp audit`: reconciles the ledger with LND from the command line, with the server's
 * configuration (the same database and LND). Prints the totals and every discrepancy; the exit
 * code is 1 when there is any (so a cron job or CI can alert on it).
 */
import { lndBackend, lndConnectionFromFiles } from '@blgv/lnd';
import { migrate, openDatabase } from '@blgv/store';
import { formatAudit, runAudit } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';

/** Usage of the audit command. */
export const AUDIT_USAGE = `usage:
  blgv-lsp audit [--json]
      reconciles the ledger with LND (needs DATABASE_URL or BLGV_DATA_DIR and LND_*);
      prints each discrepancy and exits 1 when there is any`;

/** Runs `audit`; returns the text to print and whether it was clean. */
export async function auditCommand(
  config: Config,
  args: readonly string[],
): Promise<{ text: string; clean: boolean }> {
  if (config.lightning.mode !== 'lnd') {
    throw new Error(
      `the audit needs the LSP's LND: set LND_RPC_ADDRESS, LND_TLS_CERT_PATH and LND_MACAROON_PATH (a running embedded regtest LSP offers GET /v1/admin/audit)\n${AUDIT_USAGE}`,
    );
  }
  if (config.database.kind === 'pglite' && config.database.dataDir === 'memory') {
    throw new Error(`the database is in memory: set DATABASE_URL or BLGV_DATA_DIR\n${AUDIT_USAGE}`);
  }
  const { rpcAddress, tlsCertPath, macaroonPath } = config.lightning;
  const lightning = lndBackend(lndConnectionFromFiles(rpcAddress, tlsCertPath, macaroonPath));
  const database = await openDatabase(config.database);
  try {
    await migrate(database.db);
    const report = await runAudit({
      database,
      lightning,
      hostingPeriodSeconds: config.hosting.billingPeriodSeconds,
      refundMaxFeeRate: config.channels.maxFeeRate,
    });
    const text = args.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report);
    return { text, clean: report.clean };
  } finally {
    lightning.close();
    await database.close();
  }
}
