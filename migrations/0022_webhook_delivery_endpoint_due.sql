-- Due webhook deliveries are claimed endpoint by endpoint (WebhookDeliveryQueue.claim): each
-- endpoint's pending deliveries in due order, and a skip scan over the endpoints that have any.
-- The index in due order across all endpoints is dropped: the claim no longer walks it (a walk
-- that filtered out busy endpoints grew with the backlog), and the next due time is read per
-- endpoint from this one.
CREATE INDEX webhook_deliveries_endpoint_due_idx ON webhook_deliveries (webhook_id, next_attempt_at)
    WHERE status = 'PENDING';
DROP INDEX webhook_deliveries_due_idx;
