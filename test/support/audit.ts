/**
 * The end of every story that moves money: the LSP's audit (through the admin API, as an
 * operator runs it) finds nothing that disagrees between the ledger and LND.
 */
import assert from 'node:assert/strict';
import type { TestLsp } from '@blgv/testkit';

/** Asserts the audit is clean; returns the report for further checks. */
export async function assertCleanAudit(lsp: Pick<TestLsp, 'admin'>) {
  const report = await lsp.admin.admin.audit();
  assert.deepEqual(report.discrepancies, [], 'the audit finds no discrepancy');
  assert.equal(report.clean, true);
  return report;
}
