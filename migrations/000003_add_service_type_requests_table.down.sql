DROP TABLE service_type_requests;
DROP TYPE service_type_request_status;
