/**
 * The audit of hosted nodes' payment fees against the LSP's own record of their payments
 * (`hosted_node_payments`, which the tenant cannot erase), and of debts:
 * - every succeeded payment billed is billed exactly once: a `hosting_transaction_fee` entry of
 *   the fee billed, or an open debt of it (billed but owed), never both; one not billed yet is
 *   in flight; one that did not succeed has neither;
 * - every fee entry and every debt names a succeeded payment of the record (fee entries up to
 *   a node's `billed_payment_index`, charged before the record existed, may name none);
 * - every paid debt is its fee entry; no open debt is one the balance could have paid (a
 *   credit pays debts first).
 */
import {
  HostedNodePaymentsRepository,
  type Kysely,
  LedgerRepository,
  type Schema,
  TenantDebtsRepository,
} from '@blgv/store';
import type { AuditSink } from './custody-checks.ts';

const PAYMENT_REFERENCE = /^hosting:([^:]+):payment:(\d+)$/;

/** Checks payment fees and debts; `legacyIndex` is each node's `billed_payment_index`. */
export async function auditHostingPayments(
  db: Kysely<Schema>,
  feeNet: ReadonlyMap<string, bigint>,
  legacyIndex: ReadonlyMap<string, bigint>,
  sink: AuditSink,
): Promise<void> {
  const recorded = await new HostedNodePaymentsRepository(db).all();
  const debts = await new TenantDebtsRepository(db).all();
  const debtByReference = new Map(debts.map((d) => [d.reference, d]));
  const succeeded = new Set<string>();
  const known = new Set(recorded.map(referenceOf));

  for (const p of recorded) {
    const reference = referenceOf(p);
    const subject = `hosted_node_payment:${p.nodeId}:${p.paymentIndex}`;
    sink.checked('hosted_node_payments');
    const charged = feeNet.has(reference) ? -(feeNet.get(reference) ?? 0n) : undefined;
    const debt = debtByReference.get(reference);
    const owed = debt && !debt.paidAt ? debt.amount : undefined;
    if (p.status !== 'succeeded') {
      if (charged !== undefined || debt)
        sink.flag('hosting_payment_fee', subject, `${p.status}, yet its fee was billed`);
      if (p.status === 'in_flight') sink.inFlight('hosted_node_payments');
      continue;
    }
    succeeded.add(reference);
    if (p.billedFee === null) {
      // Not reached by billing yet.
      sink.inFlight('hosted_node_payments');
      continue;
    }
    if (charged !== undefined && owed !== undefined)
      sink.flag('hosting_payment_billed_twice', subject, `charged ${charged} sat and owed ${owed} sat`);
    else if (p.billedFee === 0n) {
      if (charged !== undefined || owed !== undefined)
        sink.flag('hosting_payment_fee', subject, 'billed no fee, yet one was charged or owed');
    } else if ((charged ?? owed) !== p.billedFee)
      sink.flag(
        'hosting_payment_unbilled',
        subject,
        charged === undefined && owed === undefined
          ? `billed ${p.billedFee} sat, but the ledger has no fee and no debt is open`
          : `billed ${p.billedFee} sat, ${charged !== undefined ? `charged ${charged}` : `owed ${owed}`} sat`,
      );
  }

  for (const reference of feeNet.keys()) {
    const m = PAYMENT_REFERENCE.exec(reference);
    if (!m?.[1] || !m[2] || succeeded.has(reference)) continue;
    // One the record has but not succeeded is flagged above; one it lacks may predate it.
    const legacy = BigInt(m[2]) <= (legacyIndex.get(m[1]) ?? 0n);
    if (!legacy && !known.has(reference))
      sink.flag(
        'hosting_payment_fee_unrecorded',
        `hosted_node_payment:${m[1]}:${m[2]}`,
        'a fee was charged for a payment the record does not have',
      );
  }

  const ledger = new LedgerRepository(db);
  const checkedTenants = new Set<string>();
  for (const d of debts) {
    const subject = `debt:${d.id}`;
    sink.checked('debts');
    if (!known.has(d.reference))
      sink.flag('debt_unrecorded', subject, `owed for ${d.reference}, a payment the record does not have`);
    if (d.paidAt && feeNet.get(d.reference) !== -d.amount)
      sink.flag(
        'debt_paid_unbilled',
        subject,
        `paid, but the ledger has no fee of ${d.amount} sat for ${d.reference}`,
      );
    if (d.paidAt || checkedTenants.has(d.tenantId)) continue;
    // The oldest open debt of its tenant: a credit pays it first, whole, whenever the balance covers it.
    checkedTenants.add(d.tenantId);
    const { balance } = await ledger.account(d.tenantId);
    if (balance >= d.amount)
      sink.flag(
        'debt_not_paid_first',
        `tenant:${d.tenantId}`,
        `owes ${d.amount} sat (debt ${d.id}) with a balance of ${balance} sat`,
      );
  }
}

function referenceOf(p: { readonly nodeId: string; readonly paymentIndex: bigint }): string {
  return `hosting:${p.nodeId}:payment:${p.paymentIndex}`;
}
