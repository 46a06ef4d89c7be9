/**
 * The lease keeper's statements (docs/architecture.md, "Scale-out"). Every one is a single
 * autocommit statement: there is no transaction to leave open, and every time in it is the
 * database's `clock_timestamp()`, never a node's clock. Durations travel as milliseconds
 * (`$n::double precision * interval '1 millisecond'`).
 *
 * Wanted, the one rule for which cameras the cluster pulls: enabled, and either continuous (a
 * recording camera is, on demand or not) or an on-demand camera some viewer asked for
 * (`demand_until` in the future). jsonb is compared with
 * `= 'true'::jsonb`, which is false (or NULL) for anything else, so a malformed setting never
 * fails a statement.
 */

/** Camera `c` is enabled. */
const ENABLED = `c.settings->'enabled' = 'true'::jsonb`;
/** Camera `c` is pulled on demand only: on-demand and not recording (a recording has no viewer to wait for). */
const ON_DEMAND = `(coalesce(c.settings->'onDemand' = 'true'::jsonb, false)
  AND NOT coalesce(c.settings->'recording'->'enabled' = 'true'::jsonb, false))`;

/**
 * One lease round of a node (the only statement of a quiet round): its heartbeat, the renewal of
 * every lease it holds, and what it needs to decide on claims and releases.
 *
 * - `node`: upserts the node's row with a fresh `expires_at` (the first round creates it; a row
 *   someone deleted comes back).
 * - `renewed`: extends each held lease, only where the row still names this node AND the epoch it
 *   holds: a lease taken over since (a higher epoch) or released is not returned, and the node
 *   stops pulling it. The positions the supervisor reported since the last round are written too
 *   (not final: the stream goes on).
 * - The result (one row, read from the statement's snapshot, before these updates):
 *   `renewed` the ids renewed; `disabled` those of them whose camera is disabled now; `missing`
 *   held ids whose camera was deleted (the cascade removed the lease row); `wanted` the number of
 *   wanted cameras in the cluster, counting an on-demand camera someone pulls as wanted; `free`
 *   how many of them nobody holds (a round claims only when there is something to claim);
 *   `nodes` the other live nodes (id, url, capacity), for the fair share and the directory.
 *
 * $1 node id, $2 node url, $3 capacity, $4 ttl ms, $5 held camera ids, $6 their epochs,
 * $7 reported msn (NULL: none since), $8 reported discontinuity sequence.
 */
export const ROUND_SQL = `
WITH node AS (
  INSERT INTO camgate_nodes AS n (id, url, capacity, expires_at)
  VALUES ($1, $2, $3, clock_timestamp() + $4::double precision * interval '1 millisecond')
  ON CONFLICT (id) DO UPDATE
    SET url = EXCLUDED.url, capacity = EXCLUDED.capacity, expires_at = EXCLUDED.expires_at
  RETURNING 1
),
held AS (
  SELECT * FROM unnest($5::text[], $6::bigint[], $7::bigint[], $8::bigint[])
    AS h(camera_id, epoch, last_msn, last_discontinuity)
),
renewed AS (
  UPDATE camgate_leases l
  SET expires_at = clock_timestamp() + $4::double precision * interval '1 millisecond',
      last_msn = coalesce(h.last_msn, l.last_msn),
      last_discontinuity = coalesce(h.last_discontinuity, l.last_discontinuity),
      position_final = CASE WHEN h.last_msn IS NULL THEN l.position_final ELSE false END
  FROM held h
  WHERE l.camera_id = h.camera_id AND l.owner = $1 AND l.epoch = h.epoch
  RETURNING l.camera_id
),
cameras AS (
  SELECT l.owner IS NOT NULL AND l.expires_at > clock_timestamp() AS pulled,
         NOT ${ON_DEMAND} OR l.demand_until > clock_timestamp() AS claimable
  FROM camgate_leases l JOIN camgate_cameras c ON c.id = l.camera_id
  WHERE ${ENABLED}
)
SELECT
  (SELECT coalesce(array_agg(camera_id), '{}') FROM renewed) AS renewed,
  (SELECT coalesce(array_agg(h.camera_id), '{}') FROM held h JOIN camgate_cameras c ON c.id = h.camera_id
    WHERE NOT coalesce(${ENABLED}, false)) AS disabled,
  (SELECT coalesce(array_agg(h.camera_id), '{}') FROM held h
    WHERE NOT EXISTS (SELECT 1 FROM camgate_cameras c WHERE c.id = h.camera_id)) AS missing,
  (SELECT count(*) FILTER (WHERE pulled OR claimable) FROM cameras)::integer AS wanted,
  (SELECT count(*) FILTER (WHERE claimable AND NOT pulled) FROM cameras)::integer AS free,
  (SELECT coalesce(json_agg(json_build_object('id', id, 'url', url, 'capacity', capacity) ORDER BY id), '[]')
    FROM camgate_nodes WHERE expires_at > clock_timestamp() AND id <> $1) AS nodes,
  (SELECT count(*) FROM node)::integer AS heartbeat
`;

/** What {@link ROUND_SQL} returns (its one row). */
export interface RoundRow {
  renewed: string[];
  disabled: string[];
  missing: string[];
  wanted: number;
  free: number;
  nodes: Array<{ id: string; url: string; capacity: number }>;
  heartbeat: number;
}

/**
 * The claim: up to $2 wanted cameras nobody holds (no owner, or the lease expired by the
 * database's clock), in camera order, in ONE statement. The CTE locks the rows it picks
 * `FOR UPDATE OF l SKIP LOCKED`, so nodes claiming at the same moment take different cameras
 * instead of queueing on each other's rows; the UPDATE checks again that each row is free (it
 * is locked, so nobody changes it in between), makes this node the owner, adds one to the epoch
 * (the fencing token: every renewal and release names it) and sets the expiry. It returns where
 * the previous owner's stream stopped, for HLS continuity.
 *
 * $1 node id, $2 how many at most, $3 ids this node still tracks (stopping or to release: never
 * claimed back before they are released), $4 one camera only (a viewer's demand) or NULL,
 * $5 ttl ms.
 */
export const CLAIM_SQL = `
WITH candidates AS (
  SELECT l.camera_id
  FROM camgate_leases l JOIN camgate_cameras c ON c.id = l.camera_id
  WHERE (l.owner IS NULL OR l.expires_at < clock_timestamp())
    AND ${ENABLED}
    AND (NOT ${ON_DEMAND} OR l.demand_until > clock_timestamp())
    AND l.camera_id <> ALL ($3::text[])
    AND ($4::text IS NULL OR l.camera_id = $4::text)
  ORDER BY c.position
  LIMIT $2
  FOR UPDATE OF l SKIP LOCKED
)
UPDATE camgate_leases l
SET owner = $1, epoch = l.epoch + 1,
    expires_at = clock_timestamp() + $5::double precision * interval '1 millisecond'
FROM candidates
WHERE l.camera_id = candidates.camera_id AND (l.owner IS NULL OR l.expires_at < clock_timestamp())
RETURNING l.camera_id, l.epoch::text AS epoch, l.last_msn::text AS last_msn,
  l.last_discontinuity::text AS last_discontinuity, l.position_final
`;

/** A row {@link CLAIM_SQL} returns; bigints as text (pg's default for int8), parsed by the keeper. */
export interface ClaimRow {
  camera_id: string;
  epoch: string;
  last_msn: string | null;
  last_discontinuity: string | null;
  position_final: boolean;
}

/** What a release does to `demand_until` (see the keeper: a hand-over keeps viewers' demand). */
export type DemandOnRelease = 'keep' | 'clear' | 'extend';

/**
 * Releases leases this node stopped pulling, in one statement: no owner, expired at once
 * (`-infinity`, so the next claim anywhere takes it without waiting), and the final position
 * where the stream stopped (`position_final`: the next owner continues exactly after it). Only
 * where the row still names this node and the epoch released: a lease someone took over since is
 * left alone. A release with no position (the stream never started) keeps the row's position and
 * whether it is final.
 *
 * $1 node id, $2 camera ids, $3 epochs, $4 msn, $5 discontinuity sequence, $6 demand
 * ('keep' | 'clear' | 'extend'), $7 the demand window ms (for 'extend').
 */
export const RELEASE_SQL = `
WITH gone AS (
  SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[])
    AS g(camera_id, epoch, last_msn, last_discontinuity, demand)
)
UPDATE camgate_leases l
SET owner = NULL, expires_at = '-infinity',
    last_msn = coalesce(g.last_msn, l.last_msn),
    last_discontinuity = coalesce(g.last_discontinuity, l.last_discontinuity),
    position_final = CASE WHEN g.last_msn IS NULL THEN l.position_final ELSE true END,
    demand_until = CASE g.demand
      WHEN 'clear' THEN '-infinity'
      WHEN 'extend' THEN greatest(l.demand_until, clock_timestamp() + $7::double precision * interval '1 millisecond')
      ELSE l.demand_until END
FROM gone g
WHERE l.camera_id = g.camera_id AND l.owner = $1 AND l.epoch = g.epoch
RETURNING l.camera_id
`;

/**
 * A viewer asked for an on-demand camera: it is wanted for the demand window from now (never
 * shortened). Returns the row's owner when its lease is live, so the caller knows whether a
 * claim is needed. $1 camera id, $2 window ms.
 */
export const DEMAND_SQL = `
UPDATE camgate_leases
SET demand_until = greatest(demand_until, clock_timestamp() + $2::double precision * interval '1 millisecond')
WHERE camera_id = $1
RETURNING CASE WHEN expires_at > clock_timestamp() THEN owner END AS owner
`;

/** A node that stops gracefully removes its row: the others' fair share grows at once. $1 node id. */
export const DELETE_NODE_SQL = `DELETE FROM camgate_nodes WHERE id = $1`;

/**
 * At start, rows of nodes gone for a day are removed (a node that crashed never deletes its row;
 * an expired row counts for nothing but would pile up over months of restarts under new ids).
 */
export const FORGET_OLD_NODES_SQL = `DELETE FROM camgate_nodes WHERE expires_at < clock_timestamp() - interval '1 day'`;

/**
 * The directory's full resync: every lease with its live owner (NULL when none or expired) and
 * epoch. The node URLs come with every round ({@link ROUND_SQL}), not here.
 */
export const DIRECTORY_SQL = `
SELECT camera_id, CASE WHEN owner IS NOT NULL AND expires_at > clock_timestamp() THEN owner END AS owner,
  epoch::text AS epoch
FROM camgate_leases
`;

/** A row of {@link DIRECTORY_SQL}. */
export interface DirectoryRow {
  camera_id: string;
  owner: string | null;
  epoch: string;
}

/** The channel the lease trigger notifies on (migrations/1700000000001_initial.sql). */
export const LEASE_CHANNEL = 'camgate_leases';
