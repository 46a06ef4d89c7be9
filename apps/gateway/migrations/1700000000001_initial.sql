-- camgate's shared state (docs/architecture.md, "Scale-out"). Applied by node-pg-migrate at start,
-- under its advisory lock, so nodes starting together apply it once.

-- Up Migration

-- The camera registry. Settings that are not secret live in `settings` (validated by the gateway
-- on every read, like the JSON file's records); the RTSP URL with its credentials only sealed
-- (AES-256-GCM with CAMGATE_SECRET_KEY, store/secret-box.ts).
CREATE TABLE camgate_cameras (
  id text PRIMARY KEY,
  -- Creation order: the API lists cameras in it, as the JSON file does.
  position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  url_sealed text NOT NULL,
  settings jsonb NOT NULL,
  revision integer NOT NULL CHECK (revision >= 1),
  created_at text NOT NULL,
  updated_at text NOT NULL
);

-- Signing keys of playback tokens: every node verifies with the same keys, and a key deleted on
-- one node is refused by all. The gateway's own key keeps its private part, sealed.
CREATE TABLE camgate_signing_keys (
  id text PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  name text NOT NULL,
  algorithm text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_sealed text,
  managed boolean NOT NULL,
  created_at text NOT NULL
);
-- At most one key of the gateway's own.
CREATE UNIQUE INDEX camgate_signing_keys_one_managed ON camgate_signing_keys (managed) WHERE managed;

-- The gateway nodes: each renews its row while it runs; one whose row expired is gone.
CREATE TABLE camgate_nodes (
  id text PRIMARY KEY,
  url text NOT NULL,
  capacity integer NOT NULL CHECK (capacity >= 0),
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);

-- Who pulls each camera. A node pulls a camera only while it holds the lease: owner = the node,
-- expires_at in the future by the database's clock. Every claim adds one to epoch (the fencing
-- token): a renewal or a write naming an older epoch changes nothing.
CREATE TABLE camgate_leases (
  camera_id text PRIMARY KEY REFERENCES camgate_cameras (id) ON DELETE CASCADE,
  owner text,
  epoch bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT '-infinity',
  -- An on-demand camera is wanted until then (a viewer asked on some node).
  demand_until timestamptz NOT NULL DEFAULT '-infinity',
  -- Where the last owner's stream stopped: the next owner continues after it (HLS continuity).
  last_msn bigint,
  last_discontinuity bigint,
  -- Whether that position is exact (a graceful hand-over) or the last one reported before a crash.
  position_final boolean NOT NULL DEFAULT false
);
CREATE INDEX camgate_leases_owner ON camgate_leases (owner) WHERE owner IS NOT NULL;
CREATE INDEX camgate_leases_expires_at ON camgate_leases (expires_at);

-- What each camera's owner last reported of it (the status the API shows on every node).
CREATE TABLE camgate_camera_status (
  camera_id text PRIMARY KEY REFERENCES camgate_cameras (id) ON DELETE CASCADE,
  node text NOT NULL,
  epoch bigint NOT NULL,
  status jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Every camera has its lease row from the start: claims only ever UPDATE.
CREATE FUNCTION camgate_camera_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO camgate_leases (camera_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER camgate_cameras_lease AFTER INSERT ON camgate_cameras
  FOR EACH ROW EXECUTE FUNCTION camgate_camera_lease();

-- Changes reach every node within a second: NOTIFY with the camera's id and revision (or the
-- key's id), whoever made the change, the gateway or an operator with psql.
CREATE FUNCTION camgate_notify_camera() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('camgate_cameras', json_build_object('id', OLD.id, 'deleted', true)::text);
    RETURN OLD;
  END IF;
  PERFORM pg_notify('camgate_cameras', json_build_object('id', NEW.id, 'revision', NEW.revision)::text);
  RETURN NEW;
END $$;
CREATE TRIGGER camgate_cameras_notify AFTER INSERT OR UPDATE OR DELETE ON camgate_cameras
  FOR EACH ROW EXECUTE FUNCTION camgate_notify_camera();

CREATE FUNCTION camgate_notify_signing_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('camgate_signing_keys', json_build_object('id', COALESCE(NEW.id, OLD.id))::text);
  RETURN NULL;
END $$;
CREATE TRIGGER camgate_signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON camgate_signing_keys
  FOR EACH ROW EXECUTE FUNCTION camgate_notify_signing_key();

-- A lease that changes hands (claimed, released, lost): nodes update where they proxy viewers.
CREATE FUNCTION camgate_notify_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.owner IS DISTINCT FROM OLD.owner OR NEW.epoch <> OLD.epoch THEN
    PERFORM pg_notify('camgate_leases',
      json_build_object('id', NEW.camera_id, 'owner', NEW.owner, 'epoch', NEW.epoch)::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER camgate_leases_notify AFTER UPDATE ON camgate_leases
  FOR EACH ROW EXECUTE FUNCTION camgate_notify_lease();

-- Down Migration

DROP TABLE camgate_camera_status;
DROP TABLE camgate_leases;
DROP TABLE camgate_nodes;
DROP TABLE camgate_signing_keys;
DROP TABLE camgate_cameras;
DROP FUNCTION camgate_notify_lease();
DROP FUNCTION camgate_notify_signing_key();
DROP FUNCTION camgate_notify_camera();
DROP FUNCTION camgate_camera_lease();
