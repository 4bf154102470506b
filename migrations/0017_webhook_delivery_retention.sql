-- Retention deletes a tenant's finished webhook deliveries by age (docs/retention.md): this
-- index lets each batch walk the oldest finished ones instead of scanning the delivery log.
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (tenant_id, updated_at)
    WHERE status IN ('SUCCEEDED', 'FAILED', 'DEAD_LETTERED');
