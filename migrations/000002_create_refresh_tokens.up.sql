-- Refresh tokens as the application first stored them: looked up by jti, with
-- no token_hash yet (000004 adds it). Rotation keeps a token family: every
-- token issued by refreshing another shares its family_id and names it as
-- parent_id, so presenting a rotated token again can revoke the whole family.
CREATE TABLE refresh_tokens (
    id           uuid                     NOT NULL DEFAULT gen_random_uuid(),
    user_id      uuid                     NOT NULL,
    jti          character varying(64)    NOT NULL,
    family_id    uuid                     NOT NULL,
    parent_id    uuid,
    expires_at   timestamp with time zone NOT NULL,
    revoked      boolean                  NOT NULL DEFAULT false,
    revoked_at   timestamp with time zone,
    last_used_at timestamp with time zone,
    user_agent   character varying(512),
    ip_address   character varying(45),
    created_at   timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_jti_key UNIQUE (jti),
    CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_parent_id_fkey FOREIGN KEY (parent_id)
        REFERENCES refresh_tokens (id) ON DELETE SET NULL
);

CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
