/**
 * What a hosted node's customer may do with its macaroons. The LSP keeps the admin macaroon
 * (stateless init: the node has no macaroon files); customers get least privilege:
 * no `macaroon:*` (they cannot bake or revoke macaroons) and no `info:write` (no `StopDaemon`,
 * no `DebugLevel`): the node's life is the LSP's business.
 */
import { ErrorCode, LspError, type MacaroonPermission } from '@blgv/core';

const ENTITIES = ['onchain', 'offchain', 'address', 'message', 'peers', 'info', 'invoices'] as const;

/** The customer macaroon: read and write on every entity but `info` (read only), and signing. */
export const CUSTOMER_PERMISSIONS: readonly MacaroonPermission[] = [
  ...ENTITIES.flatMap((entity): MacaroonPermission[] =>
    entity === 'info'
      ? [{ entity, action: 'read' }]
      : [
          { entity, action: 'read' },
          { entity, action: 'write' },
        ],
  ),
  { entity: 'signer', action: 'generate' },
  { entity: 'signer', action: 'read' },
];

/** The read-only macaroon: `read` on every entity. */
export const READ_ONLY_PERMISSIONS: readonly MacaroonPermission[] = [
  ...ENTITIES.map((entity): MacaroonPermission => ({ entity, action: 'read' })),
  { entity: 'signer', action: 'read' },
];

/** Checks that requested permissions stay within the customer's; throws naming the first that does not. */
export function checkRequestedPermissions(requested: readonly MacaroonPermission[]): void {
  requested.forEach((p, i) => {
    if (!CUSTOMER_PERMISSIONS.some((c) => c.entity === p.entity && c.action === p.action)) {
      throw new LspError(
        ErrorCode.InvalidInput,
        `permissions[${i}]: ${p.entity}:${p.action} is not available to customers`,
        { field: `permissions[${i}]` },
      );
    }
  });
}
