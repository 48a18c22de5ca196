import { setTimeout as sleep } from "node:timers/promises";
import { defineAction, type ActionDefinition } from "../core/actions/define-action.js";
import type { ClusterStore } from "../core/cluster-store.js";
import { publicError } from "../core/errors.js";

/** What the demo's actions read of the server they run on. */
export interface DemoActionsSource {
  /** The node's id, for `status`. */
  nodeId: string;
  /** Connections on the node by transport, for `status`. */
  connectionCounts(): Record<string, number>;
  /**
   * The store every node shares (the server's `clusterStore`), read at each call: with one,
   * `incrementTest` counts in it; without (none given, or it returns `undefined`), in memory.
   */
  sharedStore?(): ClusterStore | undefined;
}

/**
 * The demo server's actions: actionHero's test fixtures (`status`, `cacheTest`, `sleepTest`),
 * `echo`, `incrementTest` (a counter every node shares), and one fixture per error a client can
 * meet.
 */
export function demoActions(source: DemoActionsSource): ActionDefinition[] {
  const startedAt = Date.now();
  const cache = new Map<string, unknown>();
  /** incrementTest's counters when there is no shared store. */
  const counters = new Map<string, number>();
  return [
    defineAction({
      name: "status",
      description: "The node's id, uptime and connection counts.",
      run: () => {
        const connections = source.connectionCounts();
        const total = Object.values(connections).reduce((sum, n) => sum + n, 0);
        return { id: source.nodeId, uptime: Date.now() - startedAt, connections, total };
      },
    }),
    defineAction({
      name: "cacheTest",
      description: "Saves a value, loads it back and deletes it.",
      inputs: {
        key: { required: true, formatter: String },
        value: { required: true },
      },
      run: ({ key, value }) => {
        const cacheKey = `cacheTest_${key}`;
        cache.set(cacheKey, value);
        const loadResp = { key: cacheKey, value: cache.get(cacheKey) };
        const deleteResp = cache.delete(cacheKey);
        return { cacheTestResults: { saveResp: true, loadResp, deleteResp } };
      },
    }),
    defineAction({
      name: "incrementTest",
      description:
        "Adds one to the counter key (shared by every node with Redis) and returns its new value. Not idempotent.",
      inputs: { key: { required: true, formatter: String } },
      run: async ({ key }) => {
        const store = source.sharedStore?.();
        if (store !== undefined)
          return { key, value: await store.increment(`incrementTest:${key}`) };
        const value = (counters.get(key) ?? 0) + 1;
        counters.set(key, value);
        return { key, value };
      },
    }),
    defineAction({
      name: "sleepTest",
      description: "Waits sleepDuration ms (default 1000), then answers.",
      inputs: {
        sleepDuration: {
          default: 1000,
          formatter: Number,
          validator: (n: number) => (Number.isFinite(n) && n >= 0) || "must be a number ≥ 0",
        },
      },
      run: async ({ sleepDuration }, { signal }) => {
        const sleepStarted = Date.now();
        await sleep(sleepDuration, undefined, { signal }).catch(() => undefined);
        const sleepEnded = Date.now();
        return { sleepStarted, sleepEnded, sleepDelta: sleepEnded - sleepStarted, sleepDuration };
      },
    }),
    defineAction({
      name: "echo",
      description: "Returns the params it was given.",
      acceptUndeclaredParams: true,
      run: (params) => ({ echo: { ...params } }),
    }),
    defineAction({
      name: "failTest",
      description: "Always fails with a public error (ERR_ACTION_FAILED).",
      run: () => {
        throw publicError("failTest failed, as it always does");
      },
    }),
    defineAction({
      name: "validateTest",
      description: "n must be an integer from 1 to 10 (ERR_INVALID_PARAM otherwise).",
      inputs: {
        n: {
          required: true,
          formatter: Number,
          validator: (n: number) =>
            (Number.isInteger(n) && n >= 1 && n <= 10) || "must be an integer from 1 to 10",
        },
      },
      run: ({ n }) => ({ n }),
    }),
    defineAction({
      name: "alertTest",
      description: "Pushes an alert to the caller, or to connectionId if given.",
      inputs: { connectionId: {}, message: { default: "this is an alert" } },
      run: ({ connectionId, message }, context) => {
        const target = typeof connectionId === "string" ? connectionId : context.connection.id;
        context.alert(String(message), { from: context.connection.id }, target);
        return { alerted: target };
      },
    }),
    defineAction({
      name: "authorizeTest",
      description: "Marks the caller as authorized (for the secureRoom rule).",
      run: (_params, { connection }) => {
        connection.data.authorized = true;
        return { authorized: true };
      },
    }),
  ];
}
