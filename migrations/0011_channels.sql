-- 0011_channels: the channels connecting a tenant to its end users (web chat widget, WhatsApp
-- Cloud API, Facebook Messenger) with their sealed credentials and health (docs/channels.md).
--
-- Credentials (access_token, app_secret, verify_token) are sealed by the secrets envelope
-- (docs/secrets.md), bound to the row's id and column; responses show only the *_last_four copies.
-- Messenger's page access token lives in access_token.

CREATE TABLE channels (
    tenant_id                uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                       uuid        NOT NULL DEFAULT gen_random_uuid(),
    type                     text        NOT NULL CHECK (type IN ('WEB_CHAT', 'WHATSAPP', 'MESSENGER')),
    name                     text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    enabled                  boolean     NOT NULL DEFAULT true,
    -- WEB_CHAT: the public widget id, its allowed origins and greeting.
    widget_id                text        UNIQUE CHECK (widget_id IS NULL OR length(widget_id) BETWEEN 1 AND 64),
    allowed_origins          text[]      NOT NULL DEFAULT '{}',
    greeting                 text        NOT NULL DEFAULT '' CHECK (length(greeting) <= 1000),
    -- WHATSAPP: the phone number and business account; MESSENGER: the page.
    phone_number_id          text        CHECK (phone_number_id ~ '^[0-9]{1,32}$'),
    business_account_id      text        CHECK (business_account_id ~ '^[0-9]{1,32}$'),
    page_id                  text        CHECK (page_id ~ '^[0-9]{1,32}$'),
    access_token             text,
    access_token_last_four   text        NOT NULL DEFAULT '',
    app_secret               text,
    app_secret_last_four     text        NOT NULL DEFAULT '',
    verify_token             text,
    verify_token_last_four   text        NOT NULL DEFAULT '',
    -- Health: the latest inbound callback stored, the latest accepted send, the latest error.
    last_inbound_at          timestamptz,
    last_send_at             timestamptz,
    last_error               text        NOT NULL DEFAULT '' CHECK (length(last_error) <= 1000),
    last_error_at            timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (id),
    UNIQUE (tenant_id, name),
    CONSTRAINT channels_web_chat_check CHECK ((type = 'WEB_CHAT') = (widget_id IS NOT NULL)),
    CONSTRAINT channels_whatsapp_check CHECK (
        type <> 'WHATSAPP' OR (phone_number_id IS NOT NULL AND business_account_id IS NOT NULL)),
    CONSTRAINT channels_messenger_check CHECK (type <> 'MESSENGER' OR page_id IS NOT NULL),
    CONSTRAINT channels_meta_secrets_check CHECK (
        type = 'WEB_CHAT' OR (access_token IS NOT NULL AND app_secret IS NOT NULL AND verify_token IS NOT NULL))
);

-- ListChannels: newest first within a tenant.
CREATE INDEX channels_created_idx ON channels (tenant_id, created_at DESC, id DESC);

ALTER TABLE channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE channels FORCE ROW LEVEL SECURITY;
CREATE POLICY channels_scope ON channels
    USING (app_row_visible(tenant_id))
    WITH CHECK (app_row_visible(tenant_id));
