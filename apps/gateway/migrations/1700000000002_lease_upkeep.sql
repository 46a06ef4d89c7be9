-- Lease upkeep without bloat (apps/gateway/src/cluster/lease-sql.ts, ROUND_SQL). Every node
-- rewrites expires_at of every lease it holds every 2 s: 500 row versions a second for 1000
-- cameras. Such an update is HOT (heap-only: no index entry written, the old version pruned in
-- place) only when it changes no indexed column and the new version fits in the same page.
-- Measured with 1000 cameras on 3 nodes (lease-upkeep.bench.ts): with the expires_at index no
-- renewal was HOT and the table grew about 14x in 150 rounds until autovacuum; without it and
-- with room in each page, all were, the table stayed at its size, and a round took about half
-- the time.

-- Up Migration

-- No query needs it: the claim scans the (few thousand) leases anyway, joined with the cameras.
DROP INDEX camgate_leases_expires_at;
-- Half of each page free for the next versions of its rows (a lease row is about 100 bytes).
ALTER TABLE camgate_leases SET (fillfactor = 50);
-- The trigger does not even fire for a renewal or a position report (it notified nothing for
-- them anyway): one plpgsql call less per held lease per round.
DROP TRIGGER camgate_leases_notify ON camgate_leases;
CREATE TRIGGER camgate_leases_notify AFTER UPDATE ON camgate_leases
  FOR EACH ROW WHEN (NEW.owner IS DISTINCT FROM OLD.owner OR NEW.epoch <> OLD.epoch)
  EXECUTE FUNCTION camgate_notify_lease();

-- Down Migration

DROP TRIGGER camgate_leases_notify ON camgate_leases;
CREATE TRIGGER camgate_leases_notify AFTER UPDATE ON camgate_leases
  FOR EACH ROW EXECUTE FUNCTION camgate_notify_lease();
ALTER TABLE camgate_leases RESET (fillfactor);
CREATE INDEX camgate_leases_expires_at ON camgate_leases (expires_at);
