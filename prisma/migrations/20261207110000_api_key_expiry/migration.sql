-- An API key may be issued with an expiry (POST /v1/admin/projects/{id}/api-keys, expires_at): from
-- that instant it no longer authenticates. Existing keys never expire.
ALTER TABLE "api_keys" ADD COLUMN "expires_at" TIMESTAMPTZ(3);
