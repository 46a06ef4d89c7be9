-- A camera deleted and created again under the same id (a script that replaces cameras, Terraform)
-- gets a new lease row. It must not start from epoch 0, and must not be claimable while the node
-- that pulled the deleted camera may still pull it: that node keeps its lease (and pulls) until
-- it fences itself, at the latest when the old lease expires. So a deleted lease leaves a
-- tombstone with its epoch and expiry, and the new row starts from it: epochs keep growing, and
-- the row is held by nobody ('' is no node) until the old lease has expired.

-- Up Migration

CREATE TABLE camgate_lease_tombstones (
  camera_id text PRIMARY KEY,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE FUNCTION camgate_lease_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO camgate_lease_tombstones (camera_id, epoch, expires_at)
    VALUES (OLD.camera_id, OLD.epoch, CASE WHEN OLD.owner IS NULL THEN '-infinity' ELSE OLD.expires_at END)
    ON CONFLICT (camera_id) DO UPDATE
      SET epoch = greatest(camgate_lease_tombstones.epoch, EXCLUDED.epoch),
          expires_at = greatest(camgate_lease_tombstones.expires_at, EXCLUDED.expires_at);
  RETURN OLD;
END $$;
CREATE TRIGGER camgate_leases_tombstone AFTER DELETE ON camgate_leases
  FOR EACH ROW EXECUTE FUNCTION camgate_lease_tombstone();

CREATE OR REPLACE FUNCTION camgate_camera_lease() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t camgate_lease_tombstones%ROWTYPE;
BEGIN
  SELECT * INTO t FROM camgate_lease_tombstones WHERE camera_id = NEW.id;
  IF NOT FOUND THEN
    INSERT INTO camgate_leases (camera_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  ELSIF t.expires_at > clock_timestamp() THEN
    INSERT INTO camgate_leases (camera_id, owner, epoch, expires_at)
      VALUES (NEW.id, '', t.epoch, t.expires_at) ON CONFLICT DO NOTHING;
  ELSE
    INSERT INTO camgate_leases (camera_id, epoch) VALUES (NEW.id, t.epoch) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION camgate_camera_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO camgate_leases (camera_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
DROP TRIGGER camgate_leases_tombstone ON camgate_leases;
DROP FUNCTION camgate_lease_tombstone();
DROP TABLE camgate_lease_tombstones;
