/**
 * Makes a payer forget earlier payment failures (LND's mission control), so that a story's
 * payment really travels to the LSP instead of being given up on because an earlier story's
 * payment through the same LSP -> client pair failed.
 */
import { connectLnd } from '@blgv/lnd';
import type { LndNode } from '@blgv/regtest';

/** Resets `node`'s mission control. */
export async function forgetPaymentFailures(node: LndNode): Promise<void> {
  const clients = connectLnd(node.connection);
  try {
    await new Promise<void>((resolve, reject) =>
      clients.router.ResetMissionControl({}, (err: Error | null) => (err ? reject(err) : resolve())),
    );
  } finally {
    clients.close();
  }
}
