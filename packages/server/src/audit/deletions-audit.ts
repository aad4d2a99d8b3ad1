/**
 * The audit of hosted-node deletions: every deleted node was removed holding nothing (its last
 * look, recorded with the removal, found no channel and no coin), each of its sweeps paid the
 * address its tenant gave and was confirmed before the removal, and no node is deleted without
 * its deletion on record. A node still deleting is in flight.
 */
import { type Database, HostedNodeDeletionsRepository } from '@blgv/store';

/** One thing that does not add up (as the audit reports it). */
interface Finding {
  readonly check: string;
  readonly subject: string;
  readonly message: string;
}

/** Audits the deletions of the nodes given (id and state, as the audit read them). */
export async function auditDeletions(
  database: Database,
  nodes: readonly { readonly id: string; readonly state: string }[],
): Promise<{ findings: Finding[]; checked: number; inFlight: number }> {
  const deletions = new Map(
    (await new HostedNodeDeletionsRepository(database.db).all()).map((d) => [d.nodeId, d]),
  );
  const findings: Finding[] = [];
  let checked = 0;
  let inFlight = 0;
  for (const node of nodes) {
    if (node.state !== 'deleted' && node.state !== 'deleting') continue;
    const subject = `hosted_node:${node.id}`;
    checked++;
    const d = deletions.get(node.id);
    if (node.state === 'deleting') {
      inFlight++;
      continue;
    }
    if (!d) {
      findings.push({
        check: 'deletion_unrecorded',
        subject,
        message: 'deleted, with no deletion on record',
      });
      continue;
    }
    if (d.legacy) continue;
    const h = d.holdings;
    if (d.phase !== 'removed' || !h) {
      findings.push({
        check: 'deletion_unrecorded',
        subject,
        message: `deleted, but its deletion is ${d.phase}${h ? '' : ' with no look recorded'}`,
      });
      continue;
    }
    const held =
      h.openChannels + h.openingChannels + h.closingChannels > 0 ||
      h.channelSat > 0n ||
      h.onchainConfirmedSat > 0n ||
      h.onchainUnconfirmedSat > 0n;
    if (held)
      findings.push({
        check: 'deletion_removed_holding',
        subject,
        message: `removed while holding ${h.openChannels + h.openingChannels + h.closingChannels} channels, ${h.channelSat} sat in channels and ${h.onchainConfirmedSat + h.onchainUnconfirmedSat} sat on chain`,
      });
    for (const s of d.sweeps) {
      if (s.address !== d.sweepAddress)
        findings.push({
          check: 'deletion_sweep_address',
          subject,
          message: `sweep ${s.txid} paid ${s.address}, the tenant asked for ${d.sweepAddress ?? 'no address'}`,
        });
      if (s.confirmations < 1 || s.amount <= 0n)
        findings.push({
          check: 'deletion_sweep_unconfirmed',
          subject,
          message: `removed before sweep ${s.txid} (${s.amount} sat) confirmed (${s.confirmations} confirmations)`,
        });
    }
  }
  return { findings, checked, inFlight };
}
