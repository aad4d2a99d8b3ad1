/**
 * Billing of hosted nodes (one job, under its lease). Each month (`billingPeriodSeconds`) is
 * charged when the last one runs out; a tenant whose balance does not cover it keeps the node
 * for the grace period, then it is suspended (stopped, data kept) and runs again as soon as a charge
 * succeeds. Each payment a running node sent successfully is charged the schedule's
 * transaction fee, in payment-index order, once (the ledger reference names the node and the
 * payment index).
 */
import type { FeeSchedule } from '@blgv/core';
import type { Database, HostedNodeRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { ShortBalance } from '../accounts/short-balance.ts';
import { every } from '../jobs/job-runner.ts';
import { chargeMonth, chargeSentPayment } from './hosting-ledger.ts';
import type { HostingService } from './hosting-service.ts';

/** Payments read from a node per call. */
const PAYMENTS_PAGE = 100;

/** What the billing job needs. */
export interface HostingBillingDeps {
  readonly database: Database;
  readonly hosting: HostingService;
  readonly schedule: FeeSchedule;
  readonly intervalMs: number;
  readonly log: Logger;
}

/** Bills every node each `intervalMs` until `signal` aborts. */
export function billHostedNodes(deps: HostingBillingDeps, signal: AbortSignal): Promise<void> {
  return every(
    deps.intervalMs,
    async () => {
      for (const node of await deps.hosting.repo.live()) {
        try {
          await billMonths(deps, node);
          if (node.state === 'running') await billPayments(deps, node);
        } catch (err) {
          deps.log.warn({ nodeId: node.id, err }, 'hosted node billing failed');
        }
      }
    },
    signal,
  );
}

async function billMonths(deps: HostingBillingDeps, node: HostedNodeRecord): Promise<void> {
  if (!['running', 'stopped', 'suspended'].includes(node.state) || !node.paidUntil) return;
  const periodMs = deps.hosting.limits.billingPeriodSeconds * 1000;
  let paidUntil = node.paidUntil;
  while (paidUntil.getTime() <= Date.now()) {
    const month = Math.round((paidUntil.getTime() - node.createdAt.getTime()) / periodMs) + 1;
    const next = new Date(paidUntil.getTime() + periodMs);
    // Only a short balance is the tenant's doing; any other failure is thrown (and retried).
    const paid = await whenCovered(
      deps.database.db
        .transaction()
        .execute((tx) => chargeMonth(tx, node, month, deps.schedule.hosting.monthlyFee, next)),
    );
    if (!paid) {
      const graceEnds = paidUntil.getTime() + deps.hosting.limits.gracePeriodSeconds * 1000;
      if (Date.now() >= graceEnds && node.state !== 'suspended') {
        await deps.hosting.move(node, { type: 'suspended' });
        await deps.hosting.nodes.stop(node.id, AbortSignal.timeout(60_000));
        deps.log.warn(
          { nodeId: node.id, tenantId: node.tenantId, month },
          'hosted node suspended: month unpaid',
        );
      }
      return;
    }
    deps.log.info({ nodeId: node.id, month }, 'hosting month charged');
    paidUntil = next;
  }
  if (node.state === 'suspended') {
    await deps.hosting.move(node, { type: 'resumed' });
    const fresh = await deps.hosting.repo.get(node.id);
    if (fresh) await deps.hosting.nodes.ensureRunning(fresh, AbortSignal.timeout(120_000));
    deps.log.info({ nodeId: node.id }, 'hosted node resumed: hosting paid');
  }
}

/** True once `charge` succeeded, false when the balance did not cover it; other errors throw. */
function whenCovered(charge: Promise<void>): Promise<boolean> {
  return charge.then(
    () => true,
    (err: unknown) => {
      if (err instanceof ShortBalance) return false;
      throw err;
    },
  );
}

async function billPayments(deps: HostingBillingDeps, node: HostedNodeRecord): Promise<void> {
  const fee = deps.schedule.hosting.transactionFee;
  const backend = deps.hosting.nodes.backend(node);
  let after = node.billedPaymentIndex;
  for (;;) {
    const page = await backend.listPayments(
      { afterIndex: after, max: PAYMENTS_PAGE },
      AbortSignal.timeout(15_000),
    );
    for (const payment of page) {
      // Bill in order: an in-flight payment holds the ones after it until it ends.
      if (payment.status === 'in_flight') return;
      const billed = await whenCovered(
        deps.database.db.transaction().execute((tx) => chargeSentPayment(tx, node, payment, fee)),
      );
      if (!billed) return;
      after = payment.paymentIndex;
    }
    if (page.length < PAYMENTS_PAGE) return;
  }
}
