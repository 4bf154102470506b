-- Retention deletes a tenant's processed Meta callbacks by age (docs/retention.md): this index
-- lets each batch walk the oldest processed ones instead of scanning the callback table. The
-- message ids are walked by channel_inbound_messages_created_idx (tenant, created_at).
CREATE INDEX channel_inbound_processed_idx ON channel_inbound (tenant_id, received_at)
    WHERE status IN ('DONE', 'FAILED');
