-- 0013_dashboard_users: the dashboard's people and their server-side sessions (docs/dashboard.md).
--
-- A dashboard user signs in with an email and a password (an scrypt hash, never the password);
-- super admins reach every tenant, the other roles exactly one. A session row is found by the
-- SHA-256 of the opaque token in the browser's cookie, so a copy of the table opens no session.
-- Changing a user's password or role deletes all of that user's sessions in the same
-- transaction. Only the admin scope sees or changes these tables.

CREATE TABLE dashboard_users (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email               text        NOT NULL CHECK (email = btrim(email) AND email LIKE '_%@_%' AND length(email) <= 254),
    role                text        NOT NULL CHECK (role IN ('super_admin', 'tenant_admin', 'agent', 'viewer')),
    -- The one tenant of a tenant admin, agent or viewer; none for a super admin.
    tenant_id           uuid        REFERENCES tenants (id) ON DELETE CASCADE,
    password_hash       text        NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    disabled_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'super_admin') = (tenant_id IS NULL))
);

CREATE UNIQUE INDEX dashboard_users_email_key ON dashboard_users (lower(email));
CREATE INDEX dashboard_users_tenant_id_idx ON dashboard_users (tenant_id) WHERE tenant_id IS NOT NULL;

CREATE TRIGGER dashboard_users_touch_updated_at BEFORE UPDATE ON dashboard_users
    FOR EACH ROW EXECUTE FUNCTION app_touch_updated_at();

CREATE TABLE dashboard_sessions (
    -- Lower-case hex SHA-256 of the cookie's token.
    token_hash          text        PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id             uuid        NOT NULL REFERENCES dashboard_users (id) ON DELETE CASCADE,
    -- Presented with every unsafe request of the session (form field or x-csrf-token).
    csrf_token          text        NOT NULL CHECK (length(csrf_token) = 64),
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    -- The absolute end, whatever the activity.
    expires_at          timestamptz NOT NULL
);

CREATE INDEX dashboard_sessions_user_id_idx ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_expires_at_idx ON dashboard_sessions (expires_at);

ALTER TABLE dashboard_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE dashboard_users FORCE ROW LEVEL SECURITY;
CREATE POLICY dashboard_users_scope ON dashboard_users
    USING (app_admin_scope())
    WITH CHECK (app_admin_scope());

ALTER TABLE dashboard_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE dashboard_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY dashboard_sessions_scope ON dashboard_sessions
    USING (app_admin_scope())
    WITH CHECK (app_admin_scope());
