/**
 * A charge the balance does not cover, told apart from every other failure: thrown inside the
 * charging transaction (rolling it back), it means "the tenant must top up", while any other
 * error (the database, say) means "try again later" and must never be held against the tenant.
 */
import type { Sat } from '@blgv/core';
import type { LedgerRepository } from '@blgv/store';

/** The balance is short of what a charge needs. */
export class ShortBalance extends Error {
  readonly balance: Sat;
  readonly required: Sat;

  constructor(balance: Sat, required: Sat) {
    super(`the balance of ${balance} sat does not cover ${required} sat`);
    this.name = 'ShortBalance';
    this.balance = balance;
    this.required = required;
  }
}

/**
 * Locks the tenant's row (until the transaction of `ledger` ends) and throws
 * {@link ShortBalance} when its balance is below `required`.
 */
export async function requireBalance(
  ledger: LedgerRepository,
  tenantId: string,
  required: Sat,
): Promise<void> {
  await ledger.lockTenant(tenantId);
  const balance = await ledger.balance(tenantId);
  if (balance < required) throw new ShortBalance(balance, required);
}
