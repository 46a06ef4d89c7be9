-- The recordings index of a cluster (issue 15; docs/architecture.md, "Recording in a cluster"):
-- every node's recorded files in one index, so any node lists and plays any camera's history.
-- A file lives on the disk of the node that wrote it (`node`); a segment's row is taken only while
-- that node holds the camera's lease with the epoch the row names (`lease_epoch`), so a stale
-- owner's late writes are refused. Rows are kept after a camera is deleted, as its files are,
-- until retention removes them.

-- Up Migration

CREATE TABLE camgate_recording_files (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  node text NOT NULL,
  camera text NOT NULL,
  -- Relative to the node's recordings directory.
  path text NOT NULL,
  created_ms bigint NOT NULL,
  -- The end of the last committed segment: bytes past it were never acknowledged.
  bytes bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  sealed boolean NOT NULL DEFAULT false,
  UNIQUE (node, path)
);
-- Retention: a camera's sealed files oldest first (every node's), a node's (its disk's budget),
-- and the files a node left open (recovery at its start).
CREATE INDEX camgate_recording_files_camera ON camgate_recording_files (camera, created_ms, id) WHERE sealed;
CREATE INDEX camgate_recording_files_node ON camgate_recording_files (node, created_ms, id) WHERE sealed;
CREATE INDEX camgate_recording_files_open ON camgate_recording_files (node) WHERE NOT sealed;

CREATE TABLE camgate_recording_segments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera text NOT NULL,
  file_id bigint NOT NULL REFERENCES camgate_recording_files (id) ON DELETE CASCADE,
  byte_offset bigint NOT NULL CHECK (byte_offset >= 0),
  length bigint NOT NULL CHECK (length > 0),
  start_ms bigint NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms > 0),
  init text NOT NULL,
  -- Segments of one epoch play without a discontinuity; unique per camera across nodes.
  epoch bigint NOT NULL,
  -- The lease epoch of the node that recorded it (camgate_leases.epoch when the row was taken).
  lease_epoch bigint NOT NULL
);
CREATE INDEX camgate_recording_segments_camera ON camgate_recording_segments (camera, start_ms);
CREATE INDEX camgate_recording_segments_file ON camgate_recording_segments (file_id);

-- Recorded spans, kept as segments are added and files deleted: a month's timeline is a few rows.
CREATE TABLE camgate_recording_spans (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  camera text NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL,
  epoch bigint NOT NULL
);
CREATE INDEX camgate_recording_spans_camera ON camgate_recording_spans (camera, end_ms);

-- Init segments by name (their SHA-256), a few per camera: any node serves any of them, including
-- one whose recording node is down (a node keeps a copy on its disk once asked).
CREATE TABLE camgate_recording_inits (
  name text PRIMARY KEY,
  bytes bytea NOT NULL
);

-- Down Migration

DROP TABLE camgate_recording_inits;
DROP TABLE camgate_recording_spans;
DROP TABLE camgate_recording_segments;
DROP TABLE camgate_recording_files;
