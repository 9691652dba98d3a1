-- seqcurate catalog for PostgreSQL, schema version 3: why each track ended
-- (see schemas/catalog/003_track_end_reason.sql).
ALTER TABLE tracks ADD COLUMN end_reason TEXT
    CHECK (end_reason IS NULL OR end_reason IN ('cut', 'lost', 'split', 'identity', 'end'));
