/**
 * Debts and hosted nodes: a tenant whose debt (a payment fee its balance could not cover) stays
 * unpaid past `hosting.gracePeriodSeconds` has its running and stopped nodes suspended, like
 * an unpaid month; billing resumes them once nothing is owed and their months are paid.
 */
import { type Database, type HostedNodeRecord, TenantDebtsRepository } from '@blgv/store';
import type { Logger } from 'pino';
import type { HostingService } from './hosting-service.ts';

/** True when the tenant owes anything. */
export async function owes(database: Database, tenantId: string): Promise<boolean> {
  return (await new TenantDebtsRepository(database.db).owed(tenantId)).amount > 0n;
}

/**
 * Suspends (stops, data kept) every running or stopped node among `nodes` whose tenant has a
 * debt open for longer than the grace period. Returns the nodes suspended.
 */
export async function suspendOverdue(
  deps: { database: Database; hosting: HostingService; log: Logger },
  nodes: readonly HostedNodeRecord[],
): Promise<string[]> {
  const graceMs = deps.hosting.limits.gracePeriodSeconds * 1000;
  const overdue = new Set(
    await new TenantDebtsRepository(deps.database.db).overdueTenants(new Date(Date.now() - graceMs)),
  );
  const suspended: string[] = [];
  for (const node of nodes) {
    if (!overdue.has(node.tenantId) || (node.state !== 'running' && node.state !== 'stopped')) continue;
    try {
      await deps.hosting.move(node, { type: 'suspended' });
      suspended.push(node.id);
      deps.log.warn({ nodeId: node.id, tenantId: node.tenantId }, 'hosted node suspended: debt unpaid');
    } catch (err) {
      deps.log.warn({ nodeId: node.id, err }, 'suspending a node for its debt failed');
    }
  }
  return suspended;
}
