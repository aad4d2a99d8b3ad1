-- LSPS2 trust models (issue 21): `client_trusts_lsp` is what `lsps2.buy` answered (bLIP-52). When
-- true, the JIT channel's funding is withheld until the client has released the preimage, and a
-- client that never does ends `withdrawn` (the funding given up, nothing published). Buys made
-- before this were all "LSP trusts client".
alter table lsps2_jit_channels add column client_trusts_lsp boolean not null default false;
-- The channels a client was opened and never settled, counted at each of its buys.
create index lsps2_jit_channels_withdrawn on lsps2_jit_channels (client_pubkey)
  where state = 'withdrawn';
