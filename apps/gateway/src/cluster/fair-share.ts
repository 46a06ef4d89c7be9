/**
 * How many cameras one node should pull: an even split of the wanted cameras over the live nodes,
 * where a node that cannot take its even part (capacity) pulls what it can and the others make up
 * the difference ("water-filling"). The level λ is the smallest whole number with
 * Σ min(capacity_i, λ) ≥ wanted, and each node's share is min(capacity, λ). Without a binding
 * capacity that is ceil(wanted / nodes); unlike a plain ceil(wanted / nodes) capped by capacity,
 * the shares always add up to every wanted camera while the nodes have room for them, so no camera
 * is left unpulled beside a node with spare capacity. The shares may add up to a little more than
 * the wanted cameras (the rounding up), never less: a node below its share with nothing free to
 * claim is the normal steady state, and nobody releases to it.
 *
 * @param wanted cameras to pull in the whole cluster
 * @param capacities every live node's capacity, this one included
 * @param capacity this node's capacity
 */
export function fairShare(wanted: number, capacities: readonly number[], capacity: number): number {
  if (wanted <= 0 || capacity <= 0) return 0;
  const room = (level: number) => capacities.reduce((sum, c) => sum + Math.min(Math.max(c, 0), level), 0);
  let high = Math.max(capacity, ...capacities);
  // More cameras than the cluster can pull: every node pulls to its capacity.
  if (room(high) < wanted) return capacity;
  let low = 0;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (room(mid) >= wanted) high = mid;
    else low = mid + 1;
  }
  return Math.min(capacity, low);
}
