-- The watchtower a hosted node backs its revoked channel states up to (`pubkey@host:port`), set
-- when the LSP registered it with the node; null while no tower watches the node. `/metrics`
-- counts the live nodes without one (`lsp_hosted_nodes_unwatched`).
alter table hosted_nodes add column watchtower text;
