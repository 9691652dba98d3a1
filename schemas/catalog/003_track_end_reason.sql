-- seqcurate catalog, schema version 3: why each track ended.
--
-- tracks.end_reason is one of
--   cut       a shot cut started a new shot
--   lost      no detection matched for more than the tracker's gap
--   split     the box jumped or changed size abruptly (likely another person)
--   identity  the face stopped matching the track's person (identity-aware tracking)
--   end       the video ended
-- Tracks ingested before version 3 keep NULL: the reason is not known.
ALTER TABLE tracks ADD COLUMN end_reason TEXT
    CHECK (end_reason IS NULL OR end_reason IN ('cut', 'lost', 'split', 'identity', 'end'));
