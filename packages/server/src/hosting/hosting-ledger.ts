/**
 * What hosting writes to the ledger, in the caller's transaction: a month of hosting (and how
 * far it covers the node), the refund of a node that could not be created, and the fee of a
 * payment a node sent. Each entry's reference names the node, so none is written twice.
 */
import { type Sat, type SentPayment, sat } from '@blgv/core';
import { HostedNodesRepository, type Kysely, LedgerRepository, type Schema } from '@blgv/store';
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
  await charge(
    tx,
    node,
    'hosting_monthly_fee',
    fee,
    monthReference(node.id, month),
    `hosting of node ${node.id} (${node.alias}), month ${month}`,
  );
  await new HostedNodesRepository(tx).setPaidUntil(node.id, paidUntil, tx);
}

/** Charges `fee` to the node's tenant; {@link ShortBalance} when the balance does not cover it. */
async function charge(
  tx: Kysely<Schema>,
  node: BilledNode,
  kind: 'hosting_monthly_fee' | 'hosting_transaction_fee',
  fee: Sat,
  reference: string,
  description: string,
): Promise<void> {
  const ledger = new LedgerRepository(tx);
  await requireBalance(ledger, node.tenantId, fee);
  await ledger.append({ tenantId: node.tenantId, kind, amount: sat(-fee), reference, description });
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

/**
 * Charges the transaction fee of a payment the node sent (only a succeeded one costs it) and
 * moves the node's billed payment index past it. Throws {@link ShortBalance} when the balance
 * does not cover it.
 */
export async function chargeSentPayment(
  tx: Kysely<Schema>,
  node: BilledNode,
  payment: SentPayment,
  fee: Sat,
): Promise<void> {
  if (payment.status === 'succeeded' && fee > 0n) {
    await charge(
      tx,
      node,
      'hosting_transaction_fee',
      fee,
      `hosting:${node.id}:payment:${payment.paymentIndex}`,
      `payment ${payment.paymentHash} sent by node ${node.id}`,
    );
  }
  await new HostedNodesRepository(tx).setBilledPaymentIndex(node.id, payment.paymentIndex, tx);
}
