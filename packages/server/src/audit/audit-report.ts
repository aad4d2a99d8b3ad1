/**
 * The audit's answer: what does not add up, what was looked at and what is still moving, and
 * the money totals; and the same as text for a terminal.
 */

/** One thing that does not add up. */
export interface Discrepancy {
  /** Which check found it, e.g. `channel_refunded_but_funded`. */
  readonly check: string;
  /** What it is about, e.g. `channel_request:<id>`. */
  readonly subject: string;
  readonly message: string;
}

/** Money totals, in sat. */
export interface AuditTotals {
  /** Net ledger amount per entry kind (credits positive, charges negative). */
  readonly ledgerByKind: Readonly<Record<string, number>>;
  /** Opening fees kept (REST channels, net of refunds). */
  readonly openingFees: number;
  /** Pushes sold and kept: sats the LSP handed to clients, paid for. */
  readonly pushesSold: number;
  /** Network fees charged for channels (REST and LSPS1) that were funded. */
  readonly networkFeesCharged: number;
  /** What the LSP's funding transactions paid the miners. */
  readonly networkFeesPaid: number;
  readonly topupsCredited: number;
  /** What the rebalances made cost the LSP (its own expense, in no tenant's ledger), in msat. */
  readonly rebalanceCostsMsat: number;
  /** What completed wrapped invoices earned the LSP (their fees), in msat. */
  readonly wrappedFeesMsat: number;
  /** What channels closed because their client never paid cost the LSP of their fundings (sat). */
  readonly unpaidChannelsSat: number;
}

/** The audit's answer. */
export interface AuditReport {
  readonly at: string;
  readonly clean: boolean;
  readonly discrepancies: readonly Discrepancy[];
  /** Records looked at, per kind. */
  readonly checked: Readonly<Record<string, number>>;
  /** Records still moving (not judged), per kind. */
  readonly inFlight: Readonly<Record<string, number>>;
  readonly totals: AuditTotals;
}

/** The report as text for a terminal: totals, then each discrepancy on its own line. */
export function formatAudit(report: AuditReport): string {
  const lines = [
    `audit at ${report.at}: ${report.clean ? 'clean' : `${report.discrepancies.length} discrepancies`}`,
  ];
  const counts = Object.entries(report.checked).map(
    ([k, v]) => `${k} ${v}${report.inFlight[k] ? ` (${report.inFlight[k]} in flight)` : ''}`,
  );
  lines.push(`checked: ${counts.join(', ') || 'nothing'}`);
  const t = report.totals;
  lines.push(
    `totals (sat): opening fees ${t.openingFees}, pushes sold ${t.pushesSold}, network fees charged ${t.networkFeesCharged}, network fees paid ${t.networkFeesPaid}, top-ups credited ${t.topupsCredited}, rebalancing cost ${t.rebalanceCostsMsat} msat, wrapped-invoice fees ${t.wrappedFeesMsat} msat, unpaid channels' funding shares ${t.unpaidChannelsSat}`,
  );
  for (const [kind, amount] of Object.entries(t.ledgerByKind)) lines.push(`  ledger ${kind}: ${amount}`);
  for (const d of report.discrepancies) lines.push(`DISCREPANCY ${d.check} ${d.subject}: ${d.message}`);
  return `${lines.join('\n')}\n`;
}
