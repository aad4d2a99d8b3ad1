/**
 * What hosting writes to the ledger, in the caller's transaction: a month of hosting (and how
 * far it covers the node), the refund of a node that could not be created, and the fee of a
 * payment a node sent (or the debt of it). Each entry's reference names the node, so none is
 * written twice.
 */
import { type Sat, sat } from '@blgv/core';
import {
  HostedNodePaymentsRepository,
  HostedNodesRepository,
  type Kysely,
  LedgerRepository,
  type Schema,
  TenantDebtsRepository,
  type UnbilledPayment,
} from '@blgv/store';
import { requireBalance, type ShortBalance } from '../accounts/short-balance.ts';

/** The node an entry is about. */
interface BilledNode {
  readonly id: string;
  readonly tenantId: string;
  readonly alias: string;
}

/** The ledger reference of a node's `n`th month (1-based). */
export function monthReference(nodeId: string, n: number): string {
  return `hosting:${nodeId}:month:${n}`;
}

/**
 * Charges month `month` of `node` and records that the node is paid until `paidUntil`. Throws
 * {@link ShortBalance} (rolling the caller's transaction back) when the balance does not cover
 * it; a month already charged is not charged again.
 */
export async function chargeMonth(
  tx: Kysely<Schema>,
  node: BilledNode,
  month: number,
  fee: Sat,
  paidUntil: Date,
): Promise<void> {
  const ledger = new LedgerRepository(tx);
  // An open debt leaves nothing to spend: the month waits until it is paid.
  await requireBalance(ledger, node.tenantId, fee);
  await ledger.append({
    tenantId: node.tenantId,
    kind: 'hosting_monthly_fee',
    amount: sat(-fee),
    reference: monthReference(node.id, month),
    description: `hosting of node ${node.id} (${node.alias}), month ${month}`,
  });
  await new HostedNodesRepository(tx).setPaidUntil(node.id, paidUntil, tx);
}

/**
 * Gives back the first month of a node that could not be created: exactly what was charged for
 * it (the fee schedule may have changed since, e.g. before a creation cut short is given up).
 */
export async function refundFirstMonth(tx: Kysely<Schema>, node: BilledNode): Promise<void> {
  const charged = await tx
    .selectFrom('ledger_entries')
    .select('amount_sat')
    .where('kind', '=', 'hosting_monthly_fee')
    .where('reference', '=', monthReference(node.id, 1))
    .executeTakeFirst();
  if (!charged) return;
  await new LedgerRepository(tx).append({
    tenantId: node.tenantId,
    kind: 'hosting_fee_refund',
    amount: sat(-BigInt(charged.amount_sat)),
    reference: monthReference(node.id, 1),
    description: `node ${node.id} could not be created`,
  });
}

/** The ledger reference of the fee of a node's payment `index`. */
export function paymentReference(nodeId: string, index: bigint): string {
  return `hosting:${nodeId}:payment:${index}`;
}

/** How a payment's fee was billed. */
export type PaymentBilling = 'charged' | 'owed' | 'free' | 'already';

/**
 * Bills the transaction fee of a succeeded payment in the LSP's record, once: charged when the
 * tenant can spend it, else recorded as a debt (which the next credit pays first), and the
 * payment marked billed, all in `tx`. `already` when it was billed before (a fee already in the
 * ledger, charged by the billing before 0018, counts).
 */
export async function billSentPayment(
  tx: Kysely<Schema>,
  payment: UnbilledPayment,
  fee: Sat,
): Promise<PaymentBilling> {
  const ledger = new LedgerRepository(tx);
  await ledger.lockTenant(payment.tenantId);
  const reference = paymentReference(payment.nodeId, payment.paymentIndex);
  // Charged by the billing before 0018 (from the node's ListPayments): billed, at what it cost.
  const before = await ledger.entry('hosting_transaction_fee', reference);
  const billed = before ? -before.amount : fee > 0n ? fee : 0n;
  const records = new HostedNodePaymentsRepository(tx);
  if (!(await records.markBilled(payment.nodeId, payment.paymentIndex, billed))) return 'already';
  if (before) return 'already';
  if (billed === 0n) return 'free';
  const entry = {
    tenantId: payment.tenantId,
    reference,
    description: `payment ${payment.paymentHash} sent by node ${payment.nodeId} (${payment.alias})`,
  };
  if ((await ledger.balance(payment.tenantId)) >= fee) {
    await ledger.append({ ...entry, kind: 'hosting_transaction_fee', amount: sat(-fee) });
    return 'charged';
  }
  await new TenantDebtsRepository(tx).add({ ...entry, kind: 'hosting_transaction_fee', amount: fee });
  return 'owed';
}
