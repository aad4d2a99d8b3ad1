-- The interceptor looks up, for an HTLC to an alias scid, the JIT channel awaiting its payment's
-- preimage over a channel with that scid (an HTLC of another payment sent over it directly is
-- failed while the channel's funding is withheld).
create index lsps2_jit_channels_awaiting_preimage on lsps2_jit_channels (channel_scid)
  where state = 'awaiting_preimage';
