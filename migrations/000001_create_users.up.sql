-- Accounts that can sign in to appydex: admins and, later, customers.
-- Emails are stored in lower case, so a plain unique constraint makes them
-- unique case-insensitively and login can match with lower(input).
CREATE TABLE users (
    id            uuid                     NOT NULL DEFAULT gen_random_uuid(),
    email         character varying(255),
    phone         character varying(32),
    password_hash text                     NOT NULL,
    roles         text[]                   NOT NULL DEFAULT '{}'::text[],
    is_active     boolean                  NOT NULL DEFAULT true,
    totp_secret   character varying(64),
    created_at    timestamp with time zone NOT NULL DEFAULT now(),
    updated_at    timestamp with time zone NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_phone_key UNIQUE (phone),
    CONSTRAINT users_email_or_phone_check CHECK (email IS NOT NULL OR phone IS NOT NULL),
    CONSTRAINT users_email_lower_check CHECK (email = lower(email)),
    CONSTRAINT users_roles_check CHECK (roles <@ ARRAY['super_admin', 'admin', 'support', 'viewer']::text[])
);
