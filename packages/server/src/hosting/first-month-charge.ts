/**
 * A hosted node's creation charged: its row written and its first month charged together,
 * under the creation lock, within the per-tenant and total limits.
 */
import { ErrorCode, type HostedNodeConfig, LspError, type Sat } from '@blgv/core';
import { type Database, HostedNodesRepository } from '@blgv/store';
import type { Accounts } from '../accounts/accounts.ts';
import { ShortBalance } from '../accounts/short-balance.ts';
import type { HostingLimits } from './hosted-node-view.ts';
import { chargeMonth } from './hosting-ledger.ts';
import { nodeConfigToJson } from './node-config.ts';

/** Throws when one more node would pass the per-tenant or the total limit. */
export function checkNodeLimits(limits: HostingLimits, counts: { tenant: number; total: number }): void {
  if (counts.tenant >= limits.maxNodesPerTenant) {
    throw new LspError(
      ErrorCode.TenantLimitExceeded,
      `at most ${limits.maxNodesPerTenant} nodes per tenant`,
      { field: 'nodes', limit: limits.maxNodesPerTenant },
    );
  }
  if (counts.total >= limits.maxNodes) {
    throw new LspError(ErrorCode.LspInsufficientFunds, 'the LSP hosts as many nodes as it can; try later', {
      field: 'nodes',
      limit: limits.maxNodes,
    });
  }
}

/**
 * Records the node and charges its first month in one transaction, under the creation lock
 * and counted against the limits; 402 with a top-up invoice when the balance moved short.
 */
export async function chargeFirstMonth(
  deps: { readonly database: Database; readonly accounts: Accounts; readonly limits: HostingLimits },
  tenantId: string,
  nodeId: string,
  config: HostedNodeConfig,
  fee: Sat,
  requestHash: string,
  idempotencyKey: string | undefined,
): Promise<void> {
  const node = { id: nodeId, tenantId, alias: config.alias };
  const paidUntil = new Date(Date.now() + deps.limits.billingPeriodSeconds * 1000);
  try {
    await deps.database.db.transaction().execute(async (tx) => {
      const repo = new HostedNodesRepository(tx);
      await repo.lockCreation();
      checkNodeLimits(deps.limits, await repo.counts(tenantId));
      await repo.insert({
        ...node,
        color: config.color,
        config: nodeConfigToJson(config),
        requestHash,
        seedAvailableUntil: new Date(Date.now() + deps.limits.seedRedeliverySeconds * 1000),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      await chargeMonth(tx, node, 1, fee, paidUntil);
    });
  } catch (err) {
    // The balance moved between the check and the charge.
    if (err instanceof ShortBalance)
      throw await deps.accounts.paymentRequired(tenantId, err.balance, fee, 'the first month of hosting');
    throw err;
  }
}
