-- 0003_api_key_revoked_at: when an API key was revoked (ApiKey.revoked_at).
--
--   revoked_at   set by the revocation that turns `active` false and never moved afterwards (a
--                second revocation changes nothing); NULL exactly while the key is active.

ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;

-- Keys revoked before this migration had no revocation time recorded. The latest time the row
-- shows the key in use (created, rotated, last authenticated) is the earliest it can have been
-- revoked, so they count as revoked then. The admin scope (for this transaction only) lets the
-- UPDATE see every row through row-level security.
SELECT set_config('app.scope', 'admin', true);
UPDATE api_keys SET revoked_at = greatest(created_at, rotated_at, last_used_at) WHERE NOT active;

ALTER TABLE api_keys ADD CONSTRAINT api_keys_revoked_check CHECK ((revoked_at IS NULL) = active);
