-- 0015_outbox_webhooks: the outbox of events that leave the process, webhook endpoints, their
-- deliveries and every delivery attempt (docs/webhooks.md).
--
-- An outbox row is written in the transaction of the change it describes (beside the durable
-- conversation event, the tenant change or the key change), so it exists exactly when the change
-- committed. Relays in every serve process claim rows with FOR UPDATE SKIP LOCKED, woken by
-- NOTIFY outbox: one fans each event out into webhook_deliveries, one publishes it to RabbitMQ.
-- Each consumer records its own progress in the row, so a process dying anywhere leaves the row
-- to be claimed again (at-least-once, the id stays the same).

CREATE TABLE outbox_events (
    -- The event id: the webhook-id header and the AMQP message id.
    id                    uuid        PRIMARY KEY,
    -- Claim order (commit order is close to it; consumers never rely on it for correctness).
    position              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    tenant_id             uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- e.g. message.created (docs/webhooks.md lists them).
    event_type            text        NOT NULL CHECK (length(event_type) BETWEEN 1 AND 64),
    -- The delivered JSON, exactly as sent: {"type", "timestamp", "data"}.
    body                  text        NOT NULL,
    -- The conversation the event is about, if any: erasing it deletes its events here too.
    conversation_id       uuid,
    occurred_at           timestamptz NOT NULL DEFAULT now(),
    -- Set once the webhook fan-out created this event's deliveries.
    fanned_out_at         timestamptz,
    -- Set once RabbitMQ confirmed the message (stays NULL without RABBITMQ_URL).
    published_at          timestamptz,
    publish_attempts      integer     NOT NULL DEFAULT 0 CHECK (publish_attempts >= 0),
    last_publish_error    text        NOT NULL DEFAULT ''
);

CREATE INDEX outbox_events_fan_out_idx ON outbox_events (position) WHERE fanned_out_at IS NULL;
CREATE INDEX outbox_events_publish_idx ON outbox_events (position) WHERE published_at IS NULL;
CREATE INDEX outbox_events_occurred_idx ON outbox_events (occurred_at);
CREATE INDEX outbox_events_conversation_idx ON outbox_events (tenant_id, conversation_id)
    WHERE conversation_id IS NOT NULL;

CREATE TABLE webhook_endpoints (
    tenant_id                    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                           uuid        NOT NULL DEFAULT gen_random_uuid(),
    url                          text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    -- Subscribed event types; empty: every type but webhook.test.
    event_types                  text[]      NOT NULL DEFAULT '{}',
    description                  text        NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    enabled                      boolean     NOT NULL DEFAULT true,
    -- Why the server disabled it (410, consecutive failures); empty when enabled or disabled by hand.
    disabled_reason              text        NOT NULL DEFAULT '',
    -- Events in a row whose delivery ended without success.
    consecutive_failures         integer     NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    -- The signing secret (whsec_…), sealed by the secrets envelope.
    signing_secret               text        NOT NULL,
    signing_secret_last_four     text        NOT NULL,
    -- The secret before the last rotation, signed with too until previous_secret_expires_at.
    previous_signing_secret      text,
    previous_secret_expires_at   timestamptz,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    secret_rotated_at            timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (id)
);

CREATE INDEX webhook_endpoints_created_idx ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
    tenant_id          uuid        NOT NULL,
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    webhook_id         uuid        NOT NULL,
    -- The event's id (outbox_events.id, or a test event's own): the webhook-id header.
    event_id           uuid        NOT NULL,
    event_type         text        NOT NULL,
    -- The JSON POSTed, exactly; kept after the outbox row is pruned.
    body               text        NOT NULL,
    -- As outbox_events.conversation_id.
    conversation_id    uuid,
    status             text        NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'SENDING', 'SUCCEEDED', 'FAILED', 'DEAD_LETTERED')),
    attempts           integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts       integer     NOT NULL CHECK (max_attempts >= 1),
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    -- A SENDING delivery whose sender died is claimed again once this passed.
    lease_until        timestamptz,
    last_status_code   integer     NOT NULL DEFAULT 0,
    last_error         text        NOT NULL DEFAULT '',
    -- The first 1024 bytes of the last response body, as text.
    last_response_body text        NOT NULL DEFAULT '',
    last_attempt_at    timestamptz,
    delivered_at       timestamptz,
    redelivery_of      uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);

-- One original delivery per event and endpoint: a fan-out that runs twice adds nothing.
CREATE UNIQUE INDEX webhook_deliveries_event_idx ON webhook_deliveries (webhook_id, event_id)
    WHERE redelivery_of IS NULL;
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_sending_idx ON webhook_deliveries (lease_until) WHERE status = 'SENDING';
CREATE INDEX webhook_deliveries_conversation_idx ON webhook_deliveries (tenant_id, conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (tenant_id, webhook_id, created_at DESC, id DESC);

CREATE TABLE webhook_delivery_attempts (
    tenant_id      uuid        NOT NULL,
    delivery_id    uuid        NOT NULL,
    attempt        integer     NOT NULL CHECK (attempt >= 1),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL,
    status_code    integer     NOT NULL DEFAULT 0,
    error          text        NOT NULL DEFAULT '',
    response_body  text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt),
    FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE outbox_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_events FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_events_scope ON outbox_events
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_scope ON webhook_endpoints
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_deliveries_scope ON webhook_deliveries
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE webhook_delivery_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_delivery_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_delivery_attempts_scope ON webhook_delivery_attempts
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
