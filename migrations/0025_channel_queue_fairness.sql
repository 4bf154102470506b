-- Channel queues shared fairly (docs/channels.md):
-- * stored callbacks are claimed tenant by tenant (ChannelInboundQueue.claim): each tenant's
--   oldest due ones, up to its share, found by a skip scan over the tenants that have any; the
--   index in due order across tenants is no longer walked and goes;
-- * a reply is sent only when no earlier reply of its conversation is still pending, so several
--   senders keep each conversation's order.
CREATE INDEX channel_inbound_tenant_due_idx ON channel_inbound (tenant_id, next_attempt_at, id)
    WHERE status = 'PENDING';
DROP INDEX channel_inbound_due_idx;
CREATE INDEX channel_outbox_conversation_pending_idx ON channel_outbox (tenant_id, conversation_id, id)
    WHERE status = 'PENDING';
