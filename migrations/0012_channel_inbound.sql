-- 0012_channel_inbound: Meta callbacks stored before they are acknowledged, and the platform
-- message ids already turned into messages (docs/channels.md).
--
-- A verified callback is inserted here and answered 200 at once; channel workers in every serve
-- process claim PENDING rows with FOR UPDATE SKIP LOCKED (woken by NOTIFY channel_inbound) and
-- turn them into conversation messages, replies and delivery receipts. A process dying anywhere
-- leaves the row to be claimed again.

CREATE TABLE channel_inbound (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        uuid        NOT NULL,
    channel_id       uuid        NOT NULL,
    -- The body exactly as Meta posted it (its signature was checked over these bytes).
    body             bytea       NOT NULL,
    status           text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text        NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    FOREIGN KEY (tenant_id, channel_id) REFERENCES channels (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX channel_inbound_due_idx ON channel_inbound (next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX channel_inbound_channel_idx ON channel_inbound (tenant_id, channel_id, received_at);

-- One row per platform message id (wamid, mid) a channel turned into a message: a redelivered
-- callback finds its id here and makes no second message and no second reply.
CREATE TABLE channel_inbound_messages (
    tenant_id            uuid        NOT NULL,
    channel_id           uuid        NOT NULL,
    external_message_id  text        NOT NULL CHECK (length(external_message_id) BETWEEN 1 AND 256),
    conversation_id      uuid,
    message_id           uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, channel_id, external_message_id),
    FOREIGN KEY (tenant_id, channel_id) REFERENCES channels (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX channel_inbound_messages_created_idx ON channel_inbound_messages (tenant_id, created_at);

ALTER TABLE channel_inbound ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_inbound FORCE ROW LEVEL SECURITY;
CREATE POLICY channel_inbound_scope ON channel_inbound
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE channel_inbound_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_inbound_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY channel_inbound_messages_scope ON channel_inbound_messages
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
