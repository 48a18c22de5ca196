import { expect } from "chai";
import { hasSubscribers } from "node:diagnostics_channel";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import type { ActionwireConfig } from "../../src/core/config.js";
import { CHANNELS } from "../../src/core/instrumentation.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { runWithHiddenPackages } from "../helpers/hidden-packages.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { type Message, WsTestClient } from "../helpers/ws-test-client.js";

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)) {
      labels[key!] = value!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with this name and (at least) these labels; undefined if none. */
function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

describe("Prometheus metrics", function () {
  this.timeout(20_000);
  let servers: ActionwireServer[] = [];
  let clients: WsTestClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    const server = await startDemoServer({ transports: ["ws"], ...config });
    servers.push(server);
    return server;
  };
  const connect = async (server: ActionwireServer) => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    clients.push(client);
    return client;
  };
  const scrape = async (url: string) => {
    const response = await fetch(url);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    clients = [];
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
  });

  it("counts known traffic under the documented names, with bounded labels only", async () => {
    const server = await start({ nodeId: "metrics-a", metrics: true });
    const alice = await connect(server);
    const bob = await connect(server);
    const ids: string[] = [];
    for (const client of [alice, bob]) {
      ids.push(((await client.request("detailsView")).data as { id: string }).id);
    }
    await alice.action("echo", { a: 1 });
    await alice.action("echo", { a: 2 });
    await alice.action("failTest");
    await alice.action("validateTest", { n: 99 });
    await alice.action("no-such-action");
    await alice.request("say", { message: "hello" });
    await bob.nextSay("hello");
    // bob's pushes (alice's entry, her "hello") are counted when sent, before this reply.
    await bob.request("detailsView");

    const text = await scrape(`${server.url}/metrics`);
    const samples = parse(text);
    const ws = { transport: "ws" };
    expect(valueOf(samples, "actionwire_connections", ws)).to.equal(2);
    expect(valueOf(samples, "actionwire_connections_opened_total", ws)).to.equal(2);
    // 2 + 5 + 1 from alice and bob's detailsViews, her actions and say, and bob's last one.
    expect(valueOf(samples, "actionwire_messages_received_total", ws)).to.equal(9);
    // 2 welcomes, 9 replies, alice hears bob enter, bob hears her hello.
    expect(valueOf(samples, "actionwire_messages_sent_total", ws)).to.equal(13);
    const count = "actionwire_action_duration_seconds_count";
    expect(valueOf(samples, count, { action: "echo", outcome: "ok" })).to.equal(2);
    expect(valueOf(samples, count, { action: "failTest", outcome: "error" })).to.equal(1);
    expect(valueOf(samples, count, { action: "validateTest", outcome: "error" })).to.equal(1);
    // Buckets are cumulative: every echo took less than 10 s; the sum is of both.
    const echo = { action: "echo", outcome: "ok" };
    const bucket = "actionwire_action_duration_seconds_bucket";
    expect(valueOf(samples, bucket, { ...echo, le: "10" })).to.equal(2);
    expect(valueOf(samples, bucket, { ...echo, le: "+Inf" })).to.equal(2);
    const buckets = samples.filter((x) => x.name === bucket && x.labels.action === "echo");
    expect(buckets.map((x) => x.value)).to.deep.equal([...buckets.map((x) => x.value)].sort());
    expect(valueOf(samples, "actionwire_action_duration_seconds_sum", echo)).to.be.above(0);
    expect(valueOf(samples, "actionwire_errors_total", { code: "ERR_ACTION_FAILED" })).to.equal(1);
    expect(valueOf(samples, "actionwire_errors_total", { code: "ERR_INVALID_PARAM" })).to.equal(1);
    expect(valueOf(samples, "actionwire_errors_total", { code: "ERR_UNKNOWN_ACTION" })).to.equal(1);
    expect(valueOf(samples, "actionwire_rooms")).to.equal(1);
    // Two entries and one say.
    expect(valueOf(samples, "actionwire_room_messages_total")).to.equal(3);
    expect(valueOf(samples, "actionwire_slow_consumers_total", { policy: "disconnect" })).to.equal(
      0,
    );
    expect(valueOf(samples, "actionwire_cluster_nodes")).to.equal(1);
    for (const name of ["actionwire_resumes_total", "actionwire_cluster_messages_total"]) {
      expect(text).to.include(`# TYPE ${name} counter`);
    }
    // No room name, connection id or unknown action name as a label value.
    const values = samples.flatMap((s) => Object.values(s.labels));
    for (const unbounded of ["defaultRoom", "no-such-action", ...ids]) {
      expect(values).not.to.include(unbounded);
    }
    expect(new Set(samples.map((s) => s.name.replace(/_(bucket|sum|count)$/, "")))).to.deep.equal(
      new Set([
        "actionwire_connections",
        "actionwire_connections_opened_total",
        "actionwire_messages_received_total",
        "actionwire_messages_sent_total",
        "actionwire_action_duration_seconds",
        "actionwire_errors_total",
        "actionwire_rooms",
        "actionwire_room_messages_total",
        "actionwire_slow_consumers_total",
        "actionwire_cluster_nodes",
      ]),
    );
  });

  it("counts resumed sessions by whether nothing was lost", async () => {
    const server = await start({ nodeId: "metrics-r", metrics: true });
    const url = `${server.url.replace("http", "ws")}/ws`;
    const first = await WsTestClient.hello(url);
    clients.push(first);
    const { token } = first.welcome.session as { token: string };
    first.socket.terminate();
    await first.closed;
    const again = await WsTestClient.hello(url, {
      resume: { session: first.welcome.id, token, rooms: {} },
    });
    clients.push(again);
    expect(again.welcome.session).to.include({ resumed: true, recovered: true });
    const samples = parse(await scrape(`${server.url}/metrics`));
    expect(valueOf(samples, "actionwire_resumes_total", { recovered: "true" })).to.equal(1);
  });

  it("serves on a listener of its own, into the application's registry", async () => {
    const registry = new Registry();
    const server = await start({
      metrics: { port: 0, host: "127.0.0.1", registry, path: "/internal/metrics" },
    });
    await connect(server);
    const url = server.metrics!.url!;
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/internal\/metrics$/);
    expect(new URL(url).port).not.to.equal(new URL(server.url).port);
    expect(server.metrics!.registry).to.equal(registry);
    expect(
      valueOf(parse(await scrape(url)), "actionwire_connections", { transport: "ws" }),
    ).to.equal(1);
    expect(
      valueOf(parse(await registry.metrics()), "actionwire_connections_opened_total"),
    ).to.equal(1);
    // Not on the public server.
    expect((await fetch(`${server.url}/internal/metrics`)).status).to.equal(404);
    await server.stop();
    // Taken out of the application's registry at stop.
    expect(registry.getSingleMetric("actionwire_connections")).to.equal(undefined);
  });

  it("serves no endpoint with path: null (the application serves its registry)", async () => {
    const registry = new Registry();
    const server = await start({ metrics: { registry, path: null } });
    expect((await fetch(`${server.url}/metrics`)).status).to.equal(404);
    expect(await registry.metrics()).to.include("actionwire_connections");
  });

  it("is off by default: no /metrics, and no subscriber left behind", async () => {
    // The servers of the tests before were stopped: they unsubscribed.
    for (const name of Object.values(CHANNELS)) expect(hasSubscribers(name)).to.equal(false);
    const server = await start();
    expect(server.metrics).to.equal(undefined);
    for (const name of Object.values(CHANNELS)) expect(hasSubscribers(name)).to.equal(false);
    expect((await fetch(`${server.url}/metrics`)).status).to.equal(404);
  });

  it("says what to install when prom-client is missing", async () => {
    const serverModule = fileURLToPath(new URL("../../src/index.js", import.meta.url));
    const script = `
      const { createServer } = await import(${JSON.stringify(serverModule)});
      const server = createServer({ port: 0, host: "127.0.0.1", metrics: true });
      const error = await server.start().then(() => undefined, (e) => e);
      console.log(JSON.stringify({ name: error?.name, message: error?.message, state: server.state }));
    `;
    expect(JSON.parse(await runWithHiddenPackages(script, ["prom-client"]))).to.deep.equal({
      name: "ConfigError",
      message:
        'config.metrics needs the "prom-client" package. Install it with: npm install prom-client',
      state: "stopped",
    });
  });

  describe("clustered", () => {
    let redis: RedisProcess;

    before(async () => {
      redis = await RedisProcess.start();
    });

    after(async () => {
      await redis.stop();
    });

    it("counts cluster messages by direction and kind, and the live nodes", async () => {
      const timing = { heartbeatMs: 100, nodeTimeoutMs: 500 };
      const a = await start({
        nodeId: "metrics-ca",
        metrics: true,
        redis: { url: redis.url, ...timing },
      });
      const b = await start({
        nodeId: "metrics-cb",
        metrics: true,
        redis: { url: redis.url, ...timing },
      });
      const onB = await connect(b);
      const bId = ((await onB.request("detailsView")).data as { id: string }).id;
      const onA = await connect(a);
      // onA's entry, heard through Redis: B is subscribed to the room.
      await onB.next((m: Message) => m.message === "I have entered the room");
      await onA.request("say", { message: "across" });
      await onB.nextSay("across");
      await onA.action("alertTest", { connectionId: bId });
      await onB.next((m) => m.context === "alert");
      const fromA = parse(await scrape(`${a.url}/metrics`));
      const fromB = parse(await scrape(`${b.url}/metrics`));
      const cluster = "actionwire_cluster_messages_total";
      expect(valueOf(fromA, cluster, { direction: "out", kind: "command" })).to.equal(1);
      expect(valueOf(fromB, cluster, { direction: "in", kind: "command" })).to.equal(1);
      // A's entry notice and its say went out; B received at least its say.
      expect(valueOf(fromA, cluster, { direction: "out", kind: "room" })).to.be.at.least(2);
      expect(valueOf(fromB, cluster, { direction: "in", kind: "room" })).to.be.at.least(1);
      expect(valueOf(fromA, "actionwire_cluster_nodes")).to.equal(2);
      // Each node counts its own connections only, though both run in this process.
      expect(valueOf(fromA, "actionwire_connections_opened_total", { transport: "ws" })).to.equal(
        1,
      );
      expect(valueOf(fromB, "actionwire_connections_opened_total", { transport: "ws" })).to.equal(
        1,
      );
    });
  });
});
