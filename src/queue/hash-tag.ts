/**
 * True when Redis Cluster would hash `key` by a hash tag: the text between its first `{` and the
 * first `}` after it, when that text is not empty (the rule of the cluster spec's key hashing).
 */
export function hasHashTag(key: string): boolean {
  const open = key.indexOf('{')
  if (open === -1) return false
  const close = key.indexOf('}', open + 1)
  return close > open + 1
}

/**
 * The BullMQ queue name factline uses for `name` on a Redis Cluster: `{name}`, so every key of the
 * queue (`bull:{name}:wait`, `bull:{name}:<job id>`, …) hashes to one slot, as BullMQ's Lua
 * scripts need; a name that already carries a hash tag is kept as it is. Companion queues named
 * after it (the sweep's `{name}-sweep`) keep its tag, so they share its slot.
 */
export function clusterQueueName(name: string): string {
  return hasHashTag(name) ? name : `{${name}}`
}

/**
 * The BullMQ name of queue `name` on `client`: hash-tagged on a Redis Cluster, unchanged on a single
 * Redis, so jobs queued before an upgrade stay where workers look for them. The app, `factline
 * worker` and `factline sweep` all pass their names through here, so they agree on the keys.
 */
export function bullQueueName(name: string, client: { readonly isCluster?: boolean }): string {
  return client.isCluster === true ? clusterQueueName(name) : name
}
