-- 0006_conversations: conversations, their messages, the durable conversation events and the
-- channel outbox (docs/conversations.md).
--
-- Every table carries tenant_id and is FORCE ROW LEVEL SECURITY like the identity tables
-- (0001): a tenant transaction sees its own rows, the admin scope every row.
--
-- Event ids are per tenant and strictly increasing in commit order: every transaction that
-- writes events first bumps its tenant's row in conversation_event_counters, whose row lock it
-- then holds until it commits, so a later id is never visible before an earlier one and a reader
-- that has seen id N has seen everything up to N.

-- Row-level security for the tables below: app_row_visible(tenant_id) says the same as the
-- identity tables' policies (the admin scope, or the transaction's tenant). It is PL/pgSQL so the
-- planner cannot see inside it: written as SQL, its `tenant_id = app_tenant_id()` is estimated as
-- one more 1/n_distinct filter on top of the query's own `tenant_id = $1`, which made a tenant's
-- listing look like a few dozen rows and turned "newest 50 along the index" into "read all of
-- the tenant's rows and sort them" (ConversationListPlanTests shows the plans).
CREATE FUNCTION app_row_visible(row_tenant uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
BEGIN
    RETURN app_admin_scope() OR row_tenant = app_tenant_id();
END
$$;

CREATE TABLE conversation_event_counters (
    tenant_id       uuid    PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- The latest event id handed out.
    last_event_id   bigint  NOT NULL DEFAULT 0 CHECK (last_event_id >= 0),
    -- Events with ids up to this one were pruned (retention window): a watcher resuming from
    -- before it must resync.
    pruned_through  bigint  NOT NULL DEFAULT 0 CHECK (pruned_through >= 0)
);

CREATE TABLE conversations (
    tenant_id          uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    channel_type       text        NOT NULL CHECK (channel_type IN ('WEB_CHAT', 'WHATSAPP', 'MESSENGER', 'API')),
    channel_id         uuid,
    external_user_id   text        NOT NULL CHECK (length(external_user_id) BETWEEN 1 AND 256),
    status             text        NOT NULL DEFAULT 'OPEN'
        CHECK (status IN ('OPEN', 'AWAITING_HUMAN', 'ASSIGNED_TO_HUMAN', 'RESOLVED', 'CLOSED')),
    assignee_id        text,
    title              text        NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    metadata           jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
    message_count      integer     NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    escalated          boolean     NOT NULL DEFAULT false,
    escalation_reason  text
        CHECK (escalation_reason IN ('KEYWORD', 'LOW_CONFIDENCE', 'NO_CONTEXT', 'MANUAL', 'REQUESTED_BY_USER')),
    needs_review       boolean     NOT NULL DEFAULT false,
    last_message_at    timestamptz,
    -- The id of the conversation's latest durable event.
    last_event_id      bigint      NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz,
    PRIMARY KEY (tenant_id, id),
    -- An agent owns exactly the conversations assigned to a human.
    CONSTRAINT conversations_assignee_check CHECK ((status = 'ASSIGNED_TO_HUMAN') = (assignee_id IS NOT NULL)),
    CONSTRAINT conversations_closed_check CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL)),
    CONSTRAINT conversations_escalation_check CHECK (escalated = (escalation_reason IS NOT NULL)),
    CONSTRAINT conversations_channel_check CHECK (channel_id IS NULL OR channel_type <> 'API')
);

-- ListConversations: newest change first, within a tenant, with or without one of the filters.
-- Each index starts with tenant_id so a tenant's page never reads another tenant's rows.
CREATE INDEX conversations_updated_idx ON conversations (tenant_id, updated_at DESC, id DESC);
CREATE INDEX conversations_status_updated_idx ON conversations (tenant_id, status, updated_at DESC, id DESC);
CREATE INDEX conversations_created_idx ON conversations (tenant_id, created_at DESC, id DESC);
CREATE INDEX conversations_assignee_idx ON conversations (tenant_id, assignee_id, updated_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;
CREATE INDEX conversations_user_idx ON conversations (tenant_id, external_user_id, updated_at DESC, id DESC);
CREATE INDEX conversations_channel_idx ON conversations (tenant_id, channel_id, updated_at DESC, id DESC)
    WHERE channel_id IS NOT NULL;
CREATE INDEX conversations_review_idx ON conversations (tenant_id, updated_at DESC, id DESC) WHERE needs_review;

CREATE TABLE messages (
    tenant_id            uuid        NOT NULL,
    id                   uuid        NOT NULL DEFAULT gen_random_uuid(),
    conversation_id      uuid        NOT NULL,
    -- The id of the message's message_created event: its position in the conversation.
    event_id             bigint      NOT NULL,
    role                 text        NOT NULL CHECK (role IN ('USER', 'ASSISTANT', 'AGENT', 'SYSTEM')),
    text                 text        NOT NULL DEFAULT '' CHECK (length(text) <= 32000),
    author_id            text        NOT NULL DEFAULT '',
    -- Everything else the message carries (attachments, location, citations, model, usage,
    -- latency, confidence, escalation action, metadata) as the protobuf JSON of a Message
    -- holding only those fields.
    details              jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    needs_review         boolean     NOT NULL DEFAULT false,
    delivery_status      text        CHECK (delivery_status IN ('QUEUED', 'SENT', 'DELIVERED', 'READ', 'FAILED')),
    delivery_error       text,
    external_message_id  text,
    idempotency_key      text        CHECK (length(idempotency_key) BETWEEN 1 AND 128),
    created_at           timestamptz NOT NULL DEFAULT now(),
    -- ListConversations' `query` matches these words ('simple': any language, whole words, no
    -- stemming). Row-level security keeps a GIN index off this column: `@@` is not leakproof, so
    -- PostgreSQL evaluates it only after the policy, never inside an index scan (only a superuser
    -- could mark it leakproof). A search therefore reads the tenant's own messages along
    -- messages_created_idx, and never another tenant's (docs/conversations.md).
    search_vector        tsvector    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);

-- ListMessages (both directions) and ExportConversation: a conversation's messages by position.
CREATE UNIQUE INDEX messages_position_idx ON messages (tenant_id, conversation_id, event_id);
-- PostAgentReply's idempotency: one message per key and conversation.
CREATE UNIQUE INDEX messages_idempotency_idx ON messages (tenant_id, conversation_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Retention deletes a tenant's oldest messages in batches along this index (docs/conversations.md).
CREATE INDEX messages_created_idx ON messages (tenant_id, created_at);
-- Delivery receipts find an outbound message by the provider's id.
CREATE INDEX messages_external_idx ON messages (tenant_id, external_message_id)
    WHERE external_message_id IS NOT NULL;

CREATE TABLE conversation_events (
    tenant_id        uuid        NOT NULL,
    id               bigint      NOT NULL,
    conversation_id  uuid        NOT NULL,
    kind             text        NOT NULL,
    -- The serialized metachat.v1.ConversationEvent, event_id included.
    payload          bytea       NOT NULL,
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);

-- Replay of one conversation's events (WatchConversationEvents with conversation_id).
CREATE INDEX conversation_events_conversation_idx ON conversation_events (tenant_id, conversation_id, id);
-- Pruning of events older than the retention window.
CREATE INDEX conversation_events_occurred_idx ON conversation_events (occurred_at);

-- Outbound messages waiting for their channel (written with the message, sent by the channel
-- workers, claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE channel_outbox (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        uuid        NOT NULL,
    channel_id       uuid        NOT NULL,
    conversation_id  uuid        NOT NULL,
    message_id       uuid        NOT NULL,
    status           text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'DEAD')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX channel_outbox_due_idx ON channel_outbox (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX channel_outbox_message_idx ON channel_outbox (tenant_id, message_id);

-- Row-level security.

ALTER TABLE conversation_event_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_event_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY conversation_event_counters_scope ON conversation_event_counters
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations FORCE ROW LEVEL SECURITY;
CREATE POLICY conversations_scope ON conversations
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY messages_scope ON messages
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE conversation_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_events FORCE ROW LEVEL SECURITY;
CREATE POLICY conversation_events_scope ON conversation_events
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));

ALTER TABLE channel_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY channel_outbox_scope ON channel_outbox
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
