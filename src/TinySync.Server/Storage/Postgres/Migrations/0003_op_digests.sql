-- 0003: what each op_id meant (decision 0316). The digest of a committed op (OpDigest: 32 lowercase hex characters)
-- is stored with its idempotency key, so the same op_id with different content is refused (op_id_reused) instead of
-- answered with the original result. Keys written before this migration have no digest and keep answering with
-- their original result, as they always did (their content cannot be reconstructed: base is not logged).
-- Additive: nodes without this migration's code keep writing keys without a digest.
ALTER TABLE idempotency_keys ADD COLUMN digest text CHECK (digest IS NULL OR length(digest) = 32);
