-- What the assistant's answers cost, priced by LLM_PRICES when each answer was stored (a later
-- price change never rewrites what was spent): nano-dollars (10^-9 USD) per tenant, provider,
-- model and UTC day, and how many answers had no price (a model the table does not name).
ALTER TABLE chat_usage_daily
    ADD COLUMN cost_nano_usd     bigint NOT NULL DEFAULT 0 CHECK (cost_nano_usd >= 0),
    ADD COLUMN unpriced_answers  bigint NOT NULL DEFAULT 0 CHECK (unpriced_answers >= 0);
