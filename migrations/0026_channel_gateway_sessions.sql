-- ChatService.ChannelSession (docs/orchestrator.md, "Channel gateways"): a gateway process holds a
-- session per channel. The channel row names the session that holds it and until when (renewed
-- every poll): a newer session takes the row over and the older one ends with ABORTED, and while a
-- session holds a channel its queued replies go to the gateway, not to the Graph API.
ALTER TABLE channels
    ADD COLUMN gateway_session_id    uuid,
    ADD COLUMN gateway_session_until timestamptz;

-- The session takes its channel's queued replies in order.
CREATE INDEX channel_outbox_channel_pending_idx ON channel_outbox (tenant_id, channel_id, id)
    WHERE status = 'PENDING';
