/**
 * Small records shared by every node of a cluster, each with an expiry, and counters: what an
 * adapter (or an application) needs to agree on with the other nodes (the faye adapter records
 * which node holds each faye session; the demo's `incrementTest` counts). A cluster bus with a
 * shared store offers it as `ClusterBus.store` (the Redis bus does; the in-memory bus, alone in
 * its process, does not), the core hands it to adapters as `TransportHost.clusterStore`, and an
 * application reaches it as `server.clusterStore`.
 *
 * Keys are the caller's own, named after it (`faye:client:<clientId>`); the store keeps them
 * apart from anything else it holds (the Redis bus puts its `keyPrefix` before them).
 *
 * Every call fails fast: while the store cannot be reached it rejects at once instead of
 * queueing, so a caller can fall back (serve the request here) rather than wait.
 */
export interface ClusterStore {
  /** The value of `key`, or `null` if it has none (never set, deleted or expired). */
  get(key: string): Promise<string | null>;
  /** Sets `key` to `value` for `ttlMs` milliseconds (setting it again starts a new expiry). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes `key` (nothing if it has no value). */
  delete(key: string): Promise<void>;
  /**
   * Adds one to the counter `key` (a missing key counts from 0) and returns its new value, in one
   * atomic step every node sees; a counter does not expire.
   */
  increment(key: string): Promise<number>;
}
