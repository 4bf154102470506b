-- 0014_conversation_notes: agents' private notes on a conversation (docs/dashboard.md).
--
-- A note is for the tenant's agents only: it is not a message, so it never reaches the
-- customer, a channel's outbox, the conversation's events, webhooks or the event bus. Notes go
-- with their conversation (and tenant).

CREATE TABLE conversation_notes (
    tenant_id        uuid        NOT NULL,
    id               uuid        NOT NULL DEFAULT gen_random_uuid(),
    conversation_id  uuid        NOT NULL,
    -- Who wrote it (the dashboard user's email).
    author           text        NOT NULL CHECK (length(author) BETWEEN 1 AND 256),
    text             text        NOT NULL CHECK (length(text) BETWEEN 1 AND 8000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX conversation_notes_conversation_idx ON conversation_notes (tenant_id, conversation_id, created_at);

ALTER TABLE conversation_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY conversation_notes_scope ON conversation_notes
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
