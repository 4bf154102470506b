-- 0004_api_key_previous_hash_index: authentication finds a key replaced by a rotation through
-- its hash without reading the whole table.
--
-- KeyDirectory looks a presented key up by prefix (api_keys_prefix_key, from 0001's UNIQUE) and,
-- when no row has that prefix, by previous_key_hash while the rotation's grace period lasts. The
-- second lookup had no index, so every unknown prefix (a made-up key, a typo, a rotated key) was
-- a sequential scan of api_keys. Only rows inside or just after a grace period carry a previous
-- hash, so the index is partial and stays small.

CREATE INDEX api_keys_previous_key_hash_idx ON api_keys (previous_key_hash)
    WHERE previous_key_hash IS NOT NULL;
