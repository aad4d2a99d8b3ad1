/**
 * The audit of hosted nodes' months: each node charged one month after another from the first,
 * as many as it is paid for (when the billing period is known), and a node never created
 * refunded its month.
 */
import type { AuditRepository } from '@blgv/store';
import type { AuditSink } from './custody-checks.ts';

const MONTH_KINDS = ['hosting_monthly_fee', 'hosting_fee_refund'] as const;

/** Checks every node's months against the ledger; `periodSeconds` is hosting's billing period. */
export async function auditHostingMonths(
  repo: AuditRepository,
  nodes: Awaited<ReturnType<AuditRepository['hostedNodes']>>,
  periodSeconds: number | undefined,
  sink: AuditSink,
): Promise<void> {
  const hostingByNode = new Map<string, { months: number[]; net: bigint }>();
  for (const [reference, net] of await repo.netByReference(MONTH_KINDS)) {
    const m = /^hosting:([^:]+):month:(\d+)$/.exec(reference);
    if (!m?.[1] || !m[2]) continue;
    const entry = hostingByNode.get(m[1]) ?? { months: [], net: 0n };
    entry.net += net;
    if (net < 0n) entry.months.push(Number(m[2]));
    hostingByNode.set(m[1], entry);
  }
  for (const n of nodes) {
    const subject = `hosted_node:${n.id}`;
    sink.checked('hosted_nodes');
    const billed = hostingByNode.get(n.id) ?? { months: [], net: 0n };
    if (n.state === 'creating') sink.inFlight('hosted_nodes');
    if (n.state === 'failed') {
      if (billed.net !== 0n)
        sink.flag(
          'hosting_refund',
          subject,
          `never created, but ${-billed.net} sat of its month was not refunded`,
        );
      continue;
    }
    const months = billed.months.sort((a, b) => a - b);
    if (months.some((m, i) => m !== i + 1))
      sink.flag(
        'hosting_months',
        subject,
        `months charged are ${months.join(', ')}: not one of each from the first`,
      );
    if (periodSeconds && n.paidUntil && n.state !== 'creating') {
      const periods = Math.round((n.paidUntil.getTime() - n.createdAt.getTime()) / (periodSeconds * 1000));
      if (periods !== months.length)
        sink.flag('hosting_months', subject, `paid for ${periods} months, charged ${months.length}`);
    }
  }
}
