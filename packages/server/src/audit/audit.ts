/**
 * The referee: reconciles the ledger with LND. Every charged channel has its LND channel with
 * the capacity and push sold; every refunded one has none; every credited top-up a settled
 * invoice; every succeeded payment an LND payment that fits what was charged; every refund a
 * payment that failed or was never sent; every hosted node as many months charged as it is paid
 * for (none kept of one never created), every payment a hosted node sent, as the LSP recorded
 * it, billed its fee once, and every debt owed or paid (`hosting-payments-audit.ts`); every
 * deleted hosted node removed holding nothing, its coins swept to its tenant's address
 * (`deletions-audit.ts`); every running balance its ledger's sum, and every running total of
 * the figures the sum of the rows it counts; every LSPS1 on-chain receipt
 * paying for its channel or refunded, and every JIT opening fee collected in a settled forward
 * (`custody-checks.ts`); every wrapped invoice paid its fee and the wallet, or neither
 * (`wrapped-audit.ts`). Prints each discrepancy; records still moving are counted as in flight,
 * not judged.
 */
import { parseHex32 } from '@blgv/core';
import {
  AuditRepository,
  ChannelFundingsRepository,
  ChannelRequestsRepository,
  type Database,
  LedgerRepository,
  Lsps1OrdersRepository,
  Lsps1RefundsRepository,
  Lsps2JitChannelsRepository,
  PaymentsRepository,
  runningTotalsMismatches,
} from '@blgv/store';
import type { AuditReport, Discrepancy } from './audit-report.ts';
import { auditJitFees, auditLsps1Receipts } from './custody-checks.ts';
import { auditDeletions } from './deletions-audit.ts';
import { auditHostingMonths } from './hosting-months-audit.ts';
import { auditHostingPayments } from './hosting-payments-audit.ts';
import { auditRebalances } from './rebalances-audit.ts';
import { auditUnpaidChannels } from './unpaid-channels-audit.ts';
import { auditWrappedInvoices } from './wrapped-audit.ts';

export { type AuditReport, type AuditTotals, type Discrepancy, formatAudit } from './audit-report.ts';

import { LndSnapshot, type LndSnapshotLightning } from './lnd-snapshot.ts';

const CHANNEL_KINDS = [
  'channel_fee',
  'channel_push',
  'channel_network_fee',
  'channel_refund',
  'channel_fee_refund',
] as const;
const PAYMENT_KINDS = [
  'payment',
  'routing_fee',
  'utilization_fee',
  'payment_refund',
  'utilization_fee_refund',
] as const;
const FUNDED_REQUEST = new Set(['publishing', 'pending', 'open', 'closed']);
const FUNDED_ORDER = new Set(['publishing', 'settling', 'completed']);
/** JIT channels past their commit point (published, or withheld until the preimage): LND has them. */
const FUNDED_JIT = new Set([
  'publishing',
  'forwarding',
  'withheld',
  'awaiting_preimage',
  'releasing',
  'completed',
]);

/** Runs the audit. */
export async function runAudit(deps: {
  database: Database;
  lightning: LndSnapshotLightning;
  /** Hosting's billing period; without it the number of months per node is not judged. */
  hostingPeriodSeconds?: number;
  /**
   * The highest fee rate a refund is sent at (`channels.maxFeeRate`, sat/vB): an overpayment
   * worth its refund even at that rate must have gone back. Without it, overpayments are not
   * judged.
   */
  refundMaxFeeRate?: number;
}): Promise<AuditReport> {
  const repo = new AuditRepository(deps.database.db);
  const lnd = await LndSnapshot.read(deps.lightning);
  const found: Discrepancy[] = [];
  const checked: Record<string, number> = {};
  const inFlight: Record<string, number> = {};
  const flag = (check: string, subject: string, message: string) => found.push({ check, subject, message });
  const count = (into: Record<string, number>, what: string) => {
    into[what] = (into[what] ?? 0) + 1;
  };

  // Running balances against their ledgers.
  for (const m of await repo.balanceMismatches()) {
    flag(
      'balance',
      `tenant:${m.tenantId}`,
      `running balance ${m.balance} sat, ledger sum ${m.ledgerSum} sat`,
    );
  }

  // Running totals (what /metrics reads) against the rows they count.
  for (const m of await runningTotalsMismatches(deps.database.db)) {
    flag('running_total', m.total, `kept ${m.kept}, its rows sum to ${m.summed}`);
  }

  // Channels sold over REST.
  let openingFees = 0n;
  let pushesSold = 0n;
  let networkFeesCharged = 0n;
  const channelNet = await repo.netByReference(CHANNEL_KINDS);
  for (const r of await new ChannelRequestsRepository(deps.database.db).all()) {
    const subject = `channel_request:${r.id}`;
    count(checked, 'channel_requests');
    const charged = r.fee + r.push + r.networkFee;
    const net = channelNet.get(r.id) ?? 0n;
    if (r.state === 'failed') {
      if (net !== 0n)
        flag('channel_refund', subject, `failed, but ${-net} sat of its charge was not refunded`);
      const live = lnd.liveByMemo(`channel:${r.id}`);
      if (live)
        flag('channel_refunded_but_funded', subject, `refunded, yet LND has its channel (${live.where})`);
      continue;
    }
    if (net !== -charged) flag('channel_charge', subject, `charged ${-net} sat, its price is ${charged} sat`);
    if (!FUNDED_REQUEST.has(r.state)) {
      count(inFlight, 'channel_requests');
      continue;
    }
    openingFees += r.fee;
    pushesSold += r.push;
    networkFeesCharged += r.networkFee;
    const seen =
      r.fundingTxid && r.fundingOutputIndex !== null
        ? lnd.channel(r.fundingTxid, r.fundingOutputIndex)
        : undefined;
    if (!seen) {
      if (r.state === 'publishing') count(inFlight, 'channel_requests');
      else
        flag(
          'channel_missing',
          subject,
          `${r.state}, but LND has no channel at ${r.fundingTxid}:${r.fundingOutputIndex}`,
        );
      continue;
    }
    if (seen.capacity !== r.capacity)
      flag('channel_capacity', subject, `sold ${r.capacity} sat, LND's channel holds ${seen.capacity} sat`);
    if (seen.push !== undefined && seen.push !== r.push)
      flag('channel_push', subject, `sold a push of ${r.push} sat, LND's channel pushed ${seen.push} sat`);
  }

  // Funding transactions: cancelled ones left nothing behind.
  let networkFeesPaid = 0n;
  const fundingFees = new Map<string, bigint>();
  for (const f of await new ChannelFundingsRepository(deps.database.db).all()) {
    const subject = `funding:${f.id}`;
    if (f.fee !== null) fundingFees.set(f.id, f.fee);
    count(checked, 'fundings');
    if (f.state === 'published' || f.state === 'publishing') networkFeesPaid += f.fee ?? 0n;
    if (f.state === 'negotiating' || f.state === 'publishing' || f.state === 'withheld')
      count(inFlight, 'fundings');
    if (f.state !== 'cancelled' && f.state !== 'withdrawn') continue;
    if (f.txid && lnd.hasLiveTxid(f.txid))
      flag(
        'funding_cancelled_but_channel',
        subject,
        `${f.state}, yet LND holds a channel funded by ${f.txid}`,
      );
    if (lnd.leases.some((l) => l.lockId === f.lockId))
      flag('funding_inputs_leased', subject, `${f.state}, yet wallet inputs are still leased for it`);
  }

  // Top-ups: each credit a settled invoice, each settled invoice credited.
  let topupsCredited = 0n;
  const topupNet = await repo.netByReference(['topup']);
  for (const t of await new LedgerRepository(deps.database.db).allTopups()) {
    const subject = `topup:${t.paymentHash}`;
    count(checked, 'topups');
    const credited = topupNet.get(t.paymentHash) ?? 0n;
    topupsCredited += credited;
    const invoice = await lnd.invoice(parseHex32(t.paymentHash));
    if (t.state === 'settled') {
      if (invoice?.state !== 'settled')
        flag(
          'topup_credited_unpaid',
          subject,
          `credited ${credited} sat, LND's invoice is ${invoice?.state ?? 'unknown'}`,
        );
      else if (credited !== invoice.amountPaid / 1000n)
        flag(
          'topup_amount',
          subject,
          `credited ${credited} sat, the invoice was paid ${invoice.amountPaid} msat`,
        );
      continue;
    }
    if (credited !== 0n) flag('topup_credited_unpaid', subject, `${t.state}, yet credited ${credited} sat`);
    if (invoice?.state === 'settled')
      flag('topup_paid_not_credited', subject, 'LND settled it, the account was not credited');
    if (t.state === 'open') count(inFlight, 'topups');
  }

  // Payments sent for tenants.
  const paymentNet = await repo.netByReference(PAYMENT_KINDS);
  for (const p of await new PaymentsRepository(deps.database.db).all()) {
    const subject = `payment:${p.paymentHash}`;
    count(checked, 'payments');
    if (p.status === 'pending') {
      count(inFlight, 'payments');
      continue;
    }
    const net = paymentNet.get(`${p.paymentHash}:${p.attempt}`) ?? 0n;
    const outcome = await lnd.payment(parseHex32(p.paymentHash)).catch(() => 'unanswered' as const);
    if (outcome === 'unanswered') {
      count(inFlight, 'payments');
      continue;
    }
    if (p.status === 'succeeded') {
      const charged = p.amount + p.routingFee + p.utilizationFee;
      if (net !== -charged)
        flag('payment_charge', subject, `charged ${-net} sat, its price is ${charged} sat`);
      if (outcome?.status !== 'succeeded')
        flag('payment_not_sent', subject, `recorded succeeded, LND says ${outcome?.status ?? 'never sent'}`);
      else {
        if (outcome.amount !== p.amountMsat)
          flag(
            'payment_amount',
            subject,
            `charged for ${p.amountMsat} msat, LND paid ${outcome.amount} msat`,
          );
        if (outcome.fee > p.feeLimitMsat)
          flag(
            'payment_fee',
            subject,
            `LND paid ${outcome.fee} msat of fees, above the ${p.feeLimitMsat} msat charged`,
          );
      }
    } else {
      if (net !== 0n)
        flag('payment_refund', subject, `failed, but ${-net} sat of its charge was not refunded`);
      if (outcome?.status === 'succeeded')
        flag('payment_refunded_but_paid', subject, 'refunded, yet LND paid it');
    }
  }

  // LSPS1 orders.
  const lsps1Orders = await new Lsps1OrdersRepository(deps.database.db).all();
  for (const o of lsps1Orders) {
    const subject = `lsps1:${o.id}`;
    count(checked, 'lsps1_orders');
    const bolt11 = o.paymentMethod === 'bolt11';
    if (FUNDED_ORDER.has(o.state)) {
      networkFeesCharged += o.networkFeeSat;
      const seen =
        o.fundingTxid && o.fundingOutputIndex !== null
          ? lnd.channel(o.fundingTxid, o.fundingOutputIndex)
          : undefined;
      if (!seen) {
        if (o.state === 'completed')
          flag('order_channel_missing', subject, 'completed, but LND has no channel');
        else count(inFlight, 'lsps1_orders');
      } else {
        const capacity = o.lspBalanceSat + o.clientBalanceSat;
        if (seen.capacity !== capacity)
          flag('order_capacity', subject, `sold ${capacity} sat, LND's channel holds ${seen.capacity} sat`);
        if (seen.push !== undefined && seen.push !== o.clientBalanceSat)
          flag(
            'order_push',
            subject,
            `sold ${o.clientBalanceSat} sat to the client, LND pushed ${seen.push} sat`,
          );
      }
      if (o.state === 'completed' && bolt11) {
        const invoice = await lnd.invoice(parseHex32(o.paymentHash));
        if (invoice?.state !== 'settled')
          flag('order_unpaid', subject, `completed, its invoice is ${invoice?.state ?? 'unknown'}`);
      }
      continue;
    }
    if (o.state === 'failed' || o.state === 'expired') {
      const live = lnd.liveByMemo(`lsps1:${o.id}`);
      if (live)
        flag('order_refunded_but_funded', subject, `${o.state}, yet LND has its channel (${live.where})`);
      const invoice = await lnd.invoice(parseHex32(o.paymentHash));
      if (invoice?.state === 'settled')
        flag('order_kept_payment', subject, `${o.state}, yet its invoice was settled`);
      continue;
    }
    count(inFlight, 'lsps1_orders');
  }

  const sink = {
    flag,
    checked: (what: string) => count(checked, what),
    inFlight: (what: string) => count(inFlight, what),
  };
  // LSPS1 on-chain receipts: paid for their channel, or refunded.
  const refunds = await new Lsps1RefundsRepository(deps.database.db).all();
  await auditLsps1Receipts(lsps1Orders, refunds, lnd, sink, deps.refundMaxFeeRate);

  // LSPS2 JIT channels.
  const jitChannels = await new Lsps2JitChannelsRepository(deps.database.db).all();
  await auditJitFees(jitChannels, lnd, sink);
  for (const j of jitChannels) {
    const subject = `jit:${j.id}`;
    count(checked, 'jit_channels');
    if (FUNDED_JIT.has(j.state)) {
      const seen =
        j.fundingTxid && j.fundingOutputIndex !== null
          ? lnd.channel(j.fundingTxid, j.fundingOutputIndex)
          : undefined;
      if (!seen) {
        if (j.state === 'completed')
          flag('jit_channel_missing', subject, 'completed, but LND has no channel');
        else count(inFlight, 'jit_channels');
      } else if (j.channelCapacitySat !== null && seen.capacity !== j.channelCapacitySat)
        flag(
          'jit_capacity',
          subject,
          `opened ${j.channelCapacitySat} sat, LND's channel holds ${seen.capacity} sat`,
        );
      continue;
    }
    if (j.state === 'opening') count(inFlight, 'jit_channels');
    else {
      // Never funded (expired, or waiting for a payment again after a failed open), or funded
      // withheld and withdrawn (its funding is judged with the fundings: nothing live or leased).
      const live = lnd.liveByMemo(`lsps2:${j.id}`);
      if (live) flag('jit_failed_but_funded', subject, `${j.state}, yet LND has its channel (${live.where})`);
    }
  }

  // Hosted nodes: each payment fee against the LSP's own record of the nodes' payments, and
  // debts; months charged as far as each node is paid, a failed creation refunded.
  const nodes = await repo.hostedNodes();
  await auditHostingPayments(
    deps.database.db,
    await repo.netByReference(['hosting_transaction_fee']),
    new Map(nodes.map((n) => [n.id, n.billedPaymentIndex])),
    sink,
  );
  await auditHostingMonths(repo, nodes, deps.hostingPeriodSeconds, sink);

  // Hosted-node deletions: removed holding nothing, swept to the tenant's address.
  const deletions = await auditDeletions(deps.database, await repo.hostedNodes());
  found.push(...deletions.findings);
  if (deletions.checked > 0) checked.hosted_node_deletions = deletions.checked;
  if (deletions.inFlight > 0) inFlight.hosted_node_deletions = deletions.inFlight;

  // Rebalancing: the LSP's own expense, each made one as LND paid it.
  const rebalanceCostsMsat = await auditRebalances(deps.database, lnd, sink);
  // Wrapped invoices: each completed one paid its fee and paid the wallet; each failed one neither.
  const wrappedFeesMsat = await auditWrappedInvoices(deps.database, lnd, sink);
  // Channels whose client never paid: closed, at a share of their funding (the LSP's expense).
  const unpaidChannelsSat = await auditUnpaidChannels(deps.database, lnd, (id) => fundingFees.get(id), sink);

  const ledgerByKind = Object.fromEntries([...(await repo.totalsByKind())].map(([k, v]) => [k, Number(v)]));
  return {
    at: new Date().toISOString(),
    clean: found.length === 0,
    discrepancies: found,
    checked,
    inFlight,
    totals: {
      ledgerByKind,
      openingFees: Number(openingFees),
      pushesSold: Number(pushesSold),
      networkFeesCharged: Number(networkFeesCharged),
      networkFeesPaid: Number(networkFeesPaid),
      topupsCredited: Number(topupsCredited),
      rebalanceCostsMsat: Number(rebalanceCostsMsat),
      wrappedFeesMsat: Number(wrappedFeesMsat),
      unpaidChannelsSat: Number(unpaidChannelsSat),
    },
  };
}
