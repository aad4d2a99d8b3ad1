/**
 * Billing of hosted nodes (one job, under its lease). Each month (`billingPeriodSeconds`) is
 * charged when the last one runs out; a tenant whose balance does not cover it keeps the node
 * for the grace period, then it is suspended (its tenant refused; the node kept running to guard
 * its coins) and is its tenant's again as soon as a charge succeeds. Each payment a node sent successfully, as the LSP's own record has it
 * (`payment-record.ts`, which this job keeps fed while it runs), is billed the schedule's
 * transaction fee once, in payment-index order (the ledger reference names the node and the
 * payment index): charged, or owed as a debt when the balance does not cover it. A debt unpaid
 * past the grace period suspends the tenant's nodes like an unpaid month (`hosting-debt.ts`).
 */
import { type FeeSchedule, shouldRun } from '@blgv/core';
import { type Database, HostedNodePaymentsRepository, type HostedNodeRecord } from '@blgv/store';
import type { Logger } from 'pino';
import { ShortBalance } from '../accounts/short-balance.ts';
import { every } from '../jobs/job-runner.ts';
import { owes, suspendOverdue } from './hosting-debt.ts';
import { billSentPayment, chargeMonth } from './hosting-ledger.ts';
import type { HostingService } from './hosting-service.ts';
import { PaymentRecorder } from './payment-record.ts';

/** Recorded payments billed per query. */
const BILLING_BATCH = 100;

/** What the billing job needs. */
export interface HostingBillingDeps {
  readonly database: Database;
  readonly hosting: HostingService;
  readonly schedule: FeeSchedule;
  readonly intervalMs: number;
  readonly log: Logger;
}

/**
 * How often the job looks for nodes to follow (at most): a node that starts (a tenant's start,
 * the keeper's restart, a resume) has its payment stream within about this long.
 */
const FOLLOW_INTERVAL_MS = 1_000;

/** Records and bills every node each `intervalMs` until `signal` aborts. */
export async function billHostedNodes(deps: HostingBillingDeps, signal: AbortSignal): Promise<void> {
  const recorder = new PaymentRecorder({
    database: deps.database,
    sourceOf: (node) => deps.hosting.nodes.backend(node),
    log: deps.log,
  });
  const followed = async () => (await deps.hosting.repo.live()).filter(isFollowed);
  const follow = async () => {
    try {
      recorder.follow(await followed(), signal);
    } catch (err) {
      deps.log.warn({ err }, 'listing the nodes to follow failed');
    }
  };
  const bill = async () => {
    try {
      await recorder.catchUpAll(await followed(), signal);
      await billPayments(deps);
    } catch (err) {
      deps.log.warn({ err }, "billing hosted nodes' payments failed");
    }
    for (const node of await deps.hosting.repo.live()) {
      try {
        await billMonths(deps, node);
      } catch (err) {
        deps.log.warn({ nodeId: node.id, err }, 'hosted node billing failed');
      }
    }
    try {
      await suspendOverdue(deps, await deps.hosting.repo.live());
    } catch (err) {
      deps.log.warn({ err }, 'suspending nodes for unpaid debts failed');
    }
  };
  try {
    await Promise.all([
      every(Math.min(FOLLOW_INTERVAL_MS, deps.intervalMs), follow, signal),
      every(deps.intervalMs, bill, signal),
    ]);
  } finally {
    recorder.stop();
  }
}

/**
 * A node whose payments are followed: one that may send them (provisioned and running, kept
 * running while suspended, or being deleted).
 */
function isFollowed(node: HostedNodeRecord): boolean {
  return (shouldRun(node.state) || node.state === 'deleting') && node.rpcAddress !== null;
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
    // Suspended for a debt (or owing one): it runs again once nothing is owed.
    if (await owes(deps.database, node.tenantId)) return;
    await deps.hosting.move(node, { type: 'resumed' });
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

/** Bills every succeeded payment of the record not billed yet, each node's in index order. */
async function billPayments(deps: HostingBillingDeps): Promise<void> {
  const fee = deps.schedule.hosting.transactionFee;
  const record = new HostedNodePaymentsRepository(deps.database.db);
  for (;;) {
    const batch = await record.unbilled(BILLING_BATCH);
    for (const payment of batch) {
      const billed = await deps.database.db.transaction().execute((tx) => billSentPayment(tx, payment, fee));
      if (billed === 'charged' || billed === 'owed')
        deps.log.info(
          { nodeId: payment.nodeId, paymentIndex: String(payment.paymentIndex), fee: Number(fee), billed },
          billed === 'charged' ? 'hosting transaction fee charged' : 'hosting transaction fee owed',
        );
    }
    if (batch.length < BILLING_BATCH) return;
  }
}
