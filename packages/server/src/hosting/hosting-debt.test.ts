import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Sat, sat } from '@blgv/core';
import {
  AuditRepository,
  type Database,
  HostedNodePaymentsRepository,
  HostedNodesRepository,
  LedgerRepository,
  openMigratedMemoryDatabase,
  TenantDebtsRepository,
  TenantsRepository,
} from '@blgv/store';
import { requireBalance, ShortBalance } from '../accounts/short-balance.ts';
import { auditHostingPayments } from '../audit/hosting-payments-audit.ts';
import { owes } from './hosting-debt.ts';
import { billSentPayment, paymentReference } from './hosting-ledger.ts';

const FEE = sat(100);
let database: Database;

before(async () => {
  database = await openMigratedMemoryDatabase();
});
after(() => database?.close());

let n = 0;
/** A tenant with `balance` sat and a node. */
async function tenantWithNode(balance: number): Promise<{ tenantId: string; nodeId: string }> {
  n += 1;
  const tenant = await new TenantsRepository(database.db).create(`debtor-${n}`);
  const nodeId = `ndebt${n}`;
  await new HostedNodesRepository(database.db).insert({
    id: nodeId,
    tenantId: tenant.id,
    alias: `node-${n}`,
    color: '#000000',
    config: {},
  });
  if (balance > 0) await credit(tenant.id, balance, `seed-${n}`);
  return { tenantId: tenant.id, nodeId };
}

function credit(tenantId: string, amount: number, reference: string): Promise<boolean> {
  return new LedgerRepository(database.db).append({
    tenantId,
    kind: 'topup',
    amount: BigInt(amount),
    reference,
    description: 'top-up',
  });
}

/** The node sent payments `indexes`, recorded as succeeded. */
async function sent(nodeId: string, ...indexes: number[]): Promise<void> {
  await new HostedNodePaymentsRepository(database.db).record(
    nodeId,
    indexes.map((i) => ({
      paymentIndex: BigInt(i),
      paymentHash: i.toString(16).padStart(64, '0'),
      status: 'succeeded' as const,
      amount: 1_000_000n,
      fee: 0n,
      createdAt: new Date(),
    })),
  );
}

/** Bills every unbilled payment of `nodeId`, in order. */
async function bill(nodeId: string, fee: Sat = FEE): Promise<string[]> {
  const outcomes: string[] = [];
  for (const p of await new HostedNodePaymentsRepository(database.db).unbilled(100)) {
    if (p.nodeId !== nodeId) continue;
    outcomes.push(await database.db.transaction().execute((tx) => billSentPayment(tx, p, fee)));
  }
  return outcomes;
}

async function feeEntries(tenantId: string) {
  const page = await new LedgerRepository(database.db).entries(tenantId, { limit: 100 });
  return page.items.filter((e) => e.kind === 'hosting_transaction_fee');
}

/** What the audit of payment fees says about one tenant and its node (tests share the database). */
async function audit(scope: { tenantId: string; nodeId: string }): Promise<string[]> {
  const found: string[] = [];
  const repo = new AuditRepository(database.db);
  const nodes = await repo.hostedNodes();
  await auditHostingPayments(
    database.db,
    await repo.netByReference(['hosting_transaction_fee']),
    new Map(nodes.map((x) => [x.id, x.billedPaymentIndex])),
    { flag: (check, subject) => found.push(`${check} ${subject}`), checked: () => {}, inFlight: () => {} },
  );
  return found.filter((f) => f.includes(scope.tenantId) || f.includes(scope.nodeId));
}

test('a covered fee is charged once per payment, in index order, whatever is asked twice', async () => {
  const { tenantId, nodeId } = await tenantWithNode(1_000);
  await sent(nodeId, 2, 1);
  assert.deepEqual(await bill(nodeId), ['charged', 'charged']);
  assert.deepEqual(await bill(nodeId), [], 'nothing left to bill');
  const fees = await feeEntries(tenantId);
  assert.deepEqual(fees.map((e) => [e.reference, e.amount]).sort(), [
    [paymentReference(nodeId, 1n), -100n],
    [paymentReference(nodeId, 2n), -100n],
  ]);
  assert.equal(await new LedgerRepository(database.db).balance(tenantId), 800n);
  // Reported again (a catch-up after the stream): a final status never changes, nothing is billed twice.
  await sent(nodeId, 1, 2);
  assert.deepEqual(await bill(nodeId), []);
  assert.deepEqual(await audit({ tenantId, nodeId }), []);
});

test('a fee the balance cannot cover is a debt: charges are refused until a credit pays it first', async () => {
  const { tenantId, nodeId } = await tenantWithNode(150);
  await sent(nodeId, 1, 2, 3);
  assert.deepEqual(await bill(nodeId), ['charged', 'owed', 'owed'], 'the second and third are owed');
  const ledger = new LedgerRepository(database.db);
  const owing = await ledger.account(tenantId);
  assert.deepEqual([owing.balance, owing.debt], [50n, 200n]);
  assert.ok(owing.debtSince instanceof Date, 'since when it is owed');
  assert.equal(await ledger.balance(tenantId), -150n, 'what it can spend: the balance less the debt');
  assert.equal(await owes(database, tenantId), true);
  // Any other charge is refused while the debt is open, even one the balance covers.
  await assert.rejects(
    database.db.transaction().execute((tx) => requireBalance(new LedgerRepository(tx), tenantId, sat(10))),
    ShortBalance,
  );
  assert.deepEqual(await audit({ tenantId, nodeId }), [], 'owed fees count as billed');

  // A credit too small for the oldest debt pays nothing (debts are paid whole, oldest first).
  await credit(tenantId, 40, `small-${nodeId}`);
  assert.deepEqual(await ledger.account(tenantId).then((a) => [a.balance, a.debt]), [90n, 200n]);
  // The next credit pays both, in its own transaction, before anything else can spend it.
  await credit(tenantId, 1_000, `big-${nodeId}`);
  assert.deepEqual(await ledger.account(tenantId), { balance: 890n, debt: 0n, debtSince: null });
  assert.equal(await owes(database, tenantId), false);
  const fees = await feeEntries(tenantId);
  assert.deepEqual(
    fees.map((e) => e.reference).sort(),
    [1n, 2n, 3n].map((i) => paymentReference(nodeId, i)),
  );
  const debts = (await new TenantDebtsRepository(database.db).all()).filter((d) => d.tenantId === tenantId);
  assert.equal(debts.length, 2);
  assert.ok(debts.every((d) => d.paidAt !== null));
  const mismatches = await new AuditRepository(database.db).balanceMismatches();
  assert.deepEqual(mismatches, [], 'balances still equal their ledgers');
  assert.deepEqual(await audit({ tenantId, nodeId }), []);
});

test('a debt pays from a refund credit as from a top-up, inside the caller transaction', async () => {
  const { tenantId, nodeId } = await tenantWithNode(0);
  await sent(nodeId, 1);
  assert.deepEqual(await bill(nodeId), ['owed']);
  await database.db.transaction().execute(async (tx) => {
    await new LedgerRepository(tx).append({
      tenantId,
      kind: 'channel_refund',
      amount: 500n,
      reference: `refund-${nodeId}`,
      description: 'refund',
    });
  });
  assert.deepEqual(await new LedgerRepository(database.db).account(tenantId), {
    balance: 400n,
    debt: 0n,
    debtSince: null,
  });
});

test('fees charged before the record existed are billed already, at what they cost; a fee of 0 bills nothing', async () => {
  const { tenantId, nodeId } = await tenantWithNode(1_000);
  // Charged by the billing before 0018 (from the node's ListPayments).
  await new LedgerRepository(database.db).append({
    tenantId,
    kind: 'hosting_transaction_fee',
    amount: -70n,
    reference: paymentReference(nodeId, 1n),
    description: 'old',
  });
  await sent(nodeId, 1, 2);
  assert.deepEqual(await bill(nodeId, sat(0)), ['already', 'free']);
  assert.equal((await feeEntries(tenantId)).length, 1);
  assert.deepEqual(await audit({ tenantId, nodeId }), []);
});

test('the audit flags a fee without a succeeded payment, a billed payment without fee or debt, and a debt a credit should have paid', async () => {
  const { tenantId, nodeId } = await tenantWithNode(1_000);
  const records = new HostedNodePaymentsRepository(database.db);
  // A fee for a payment the record does not have.
  await new LedgerRepository(database.db).append({
    tenantId,
    kind: 'hosting_transaction_fee',
    amount: -100n,
    reference: paymentReference(nodeId, 9n),
    description: 'made up',
  });
  // A payment marked billed with no fee and no debt.
  await sent(nodeId, 1);
  await records.markBilled(nodeId, 1n, 100n);
  // An open debt the balance covers.
  await sent(nodeId, 2);
  await records.markBilled(nodeId, 2n, 100n);
  await new TenantDebtsRepository(database.db).add({
    tenantId,
    kind: 'hosting_transaction_fee',
    reference: paymentReference(nodeId, 2n),
    amount: sat(100),
    description: 'owed',
  });
  assert.deepEqual((await audit({ tenantId, nodeId })).sort(), [
    `debt_not_paid_first tenant:${tenantId}`,
    `hosting_payment_fee_unrecorded hosted_node_payment:${nodeId}:9`,
    `hosting_payment_unbilled hosted_node_payment:${nodeId}:1`,
  ]);
});
