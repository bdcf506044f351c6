-- The column whose absence caused the login incident: the application stores
-- only the SHA-256 (hex) of each refresh token and finds a presented token by
-- that hash.
--
-- Rows written before this migration have no hash, and none can be computed:
-- the plaintext token was never stored. They are kept (nothing is deleted) but
-- revoked, because a token that cannot be found by its hash can never be
-- rotated; their users sign in again once. The check constraint then keeps the
-- invariant for every later row: a live token always has a hash.
ALTER TABLE refresh_tokens ADD COLUMN token_hash character varying(255);

UPDATE refresh_tokens
   SET revoked = true,
       revoked_at = coalesce(revoked_at, now())
 WHERE NOT revoked;

ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    ADD CONSTRAINT refresh_tokens_live_token_has_hash_check
        CHECK (revoked OR token_hash IS NOT NULL);
