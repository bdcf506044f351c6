-- Requests from vendors for a service type appydex does not list yet, and an
-- admin's decision on each. This is the migration the incident's database
-- reported as its head (alembic revision 2f6d5f68b472): at this version
-- refresh_tokens has no token_hash column.
CREATE TYPE service_type_request_status AS ENUM ('pending', 'approved', 'rejected');

CREATE TABLE service_type_requests (
    id                uuid                        NOT NULL DEFAULT gen_random_uuid(),
    requested_by      uuid                        NOT NULL,
    service_type      character varying(100)      NOT NULL,
    description       text,
    status            service_type_request_status NOT NULL DEFAULT 'pending',
    reviewed_by       uuid,
    reviewed_at       timestamp with time zone,
    review_note       text,
    created_at        timestamp with time zone    NOT NULL DEFAULT now(),
    updated_at        timestamp with time zone    NOT NULL DEFAULT now(),
    CONSTRAINT service_type_requests_pkey PRIMARY KEY (id),
    CONSTRAINT service_type_requests_requested_by_fkey FOREIGN KEY (requested_by)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT service_type_requests_reviewed_by_fkey FOREIGN KEY (reviewed_by)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT service_type_requests_reviewed_check
        CHECK ((status = 'pending') = (reviewed_at IS NULL))
);

CREATE INDEX service_type_requests_requested_by_idx ON service_type_requests (requested_by);
CREATE INDEX service_type_requests_status_idx ON service_type_requests (status);
