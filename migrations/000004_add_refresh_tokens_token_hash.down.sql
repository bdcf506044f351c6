-- Undoes 000004. Rows keep everything but their hash; the application of
-- version 3 finds tokens by jti, so tokens issued since stay usable there.
ALTER TABLE refresh_tokens
    DROP CONSTRAINT refresh_tokens_live_token_has_hash_check,
    DROP CONSTRAINT refresh_tokens_token_hash_key,
    DROP COLUMN token_hash;
