import { expect } from "chai";
import faye from "faye";
import http from "node:http";
import { ActionwireClient, type ServerPayload } from "../../src/client/index.js";
import type { ConnectionTable } from "../../src/core/connection-table.js";
import { TOKENS } from "../../src/core/tokens.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { RoundRobinProxy } from "../helpers/round-robin-proxy.js";
import { watchUpgrades } from "../helpers/watch-upgrades.js";

/** The header a node puts on what it forwards (or relays) to another (FayeClusterRouter). */
const HOP = "x-actionwire-faye-hop";

/** faye's client over WebSocket (after its handshake over HTTP), and long-polling only. */
const KINDS = [
  { label: "websocket", websocket: true },
  { label: "long-polling", websocket: false },
];

for (const kind of KINDS)
  for (const nodeCount of [2, 3])
    describe(`faye ${kind.label}, the project's client through a round-robin TCP proxy over ${nodeCount} nodes (Redis, no sticky sessions)`, function () {
      this.timeout(20_000);
      let redis: RedisProcess;
      let nodes: ActionwireServer[];
      let proxy: RoundRobinProxy;
      let clients: ActionwireClient[];
      /** Per node: upgrades from clients (through the proxy), and relayed by another node. */
      let upgrades: Array<{ direct: number; relayed: number }>;
      let globalAgent: http.Agent;

      /**
       * Connects `count` clients, one at a time; client `i`'s session lives on node `i mod n`.
       * WebSocket: faye's client opens its WebSocket first (it tries it while it picks the
       * transport for its handshake), then sends its handshake over HTTP; the proxy's turn
       * starts at the node before `i mod n`, so the WebSocket reaches a node without the
       * session, which relays it. Long-polling: the earlier clients' polls would take the
       * proxy's turns, so the proxy sends only to that node while the client connects; every
       * request goes round robin after.
       */
      const connectAll = async (count: number) => {
        const backends = nodes.map((node) => node.url);
        for (let i = 0; i < count; i++) {
          const home = i % backends.length;
          const first = (home + backends.length - 1) % backends.length;
          proxy.setBackends(
            kind.websocket
              ? [...backends.slice(first), ...backends.slice(0, first)]
              : [backends[home]!],
          );
          const client = new ActionwireClient({
            url: proxy.url,
            transport: "faye",
            faye: { disable: kind.websocket ? [] : ["websocket"] },
            reconnectDelayMs: 50,
            maxReconnectDelayMs: 200,
          });
          clients.push(client);
          await client.connect();
          expect(nodeOf(client.details.id)).to.equal(home);
        }
        proxy.setBackends(backends);
      };
      /** The index of the node holding a connection (-1: none). */
      const nodeOf = (id: unknown) =>
        nodes.findIndex(
          (node) =>
            node.container.resolve<ConnectionTable>(TOKENS.ConnectionTable).get(String(id)) !==
            undefined,
        );
      /** Every client says a line; every other client hears each once, and nobody itself. */
      const chatRound = async (tag: string) => {
        const heard = clients.map(() => [] as string[]);
        const done = clients.map(
          (client, i) =>
            new Promise<void>((resolve) => {
              const listener = (m: ServerPayload) => {
                const text = String(m.message);
                if (!text.startsWith(`${tag} from `)) return;
                heard[i]!.push(text.slice(`${tag} from `.length));
                if (heard[i]!.length === clients.length - 1) {
                  client.off("say", listener);
                  resolve();
                }
              };
              client.on("say", listener);
            }),
        );
        await Promise.all(clients.map((client, i) => client.say(`${tag} from ${i}`)));
        await Promise.all(done);
        for (const [i, senders] of heard.entries()) {
          const others = clients.map((_, j) => String(j)).filter((j) => j !== String(i));
          expect(senders.sort()).to.deep.equal(others);
        }
      };
      /** Each client calls incrementTest once: the shared counter hands out 1, 2, 3… once each. */
      const incrementRound = async (key: string) => {
        const replies = await Promise.all(
          clients.map((client) => client.action("incrementTest", { key })),
        );
        expect(replies.map((r) => Number(r.value)).sort((a, b) => a - b)).to.deep.equal(
          clients.map((_, i) => i + 1),
        );
      };

      before(async () => {
        redis = await RedisProcess.start();
        // faye's Node client sends its HTTP requests through Node's global agent, which keeps
        // connections alive and shares them between clients, so one pooled TCP connection
        // would carry every client's requests to one node. Without keep-alive each request is
        // a TCP connection of its own, which the proxy sends to the next node.
        globalAgent = http.globalAgent;
        http.globalAgent = new http.Agent({ keepAlive: false });
      });

      after(async () => {
        http.globalAgent.destroy();
        http.globalAgent = globalAgent;
        await redis.stop();
      });

      beforeEach(async () => {
        clients = [];
        nodes = await Promise.all(
          Array.from({ length: nodeCount }, (_, i) =>
            startDemoServer({
              nodeId: `n${i}`,
              transports: ["faye"],
              redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 600 },
            }),
          ),
        );
        upgrades = nodes.map(() => ({ direct: 0, relayed: 0 }));
        nodes.forEach((node, i) =>
          watchUpgrades(node, (request) => {
            if (request.headers[HOP] === undefined) upgrades[i]!.direct++;
            else upgrades[i]!.relayed++;
          }),
        );
        proxy = await RoundRobinProxy.start(nodes.map((node) => node.url));
      });

      afterEach(async () => {
        for (const client of clients) client.disconnect();
        await Promise.all(nodes.map((node) => node.stop()));
        await proxy.close();
      });

      it("connects every client, chats across nodes and runs actions", async () => {
        await connectAll(2 * nodeCount);
        expect(clients.every((c) => c.connected)).to.equal(true);
        await chatRound("first");
        await incrementRound("k");
        const direct = upgrades.reduce((sum, u) => sum + u.direct, 0);
        const relayed = upgrades.reduce((sum, u) => sum + u.relayed, 0);
        if (kind.websocket) {
          // Each client's WebSocket reached a node without its session, which relayed it.
          expect([direct, relayed]).to.deep.equal([clients.length, clients.length]);
        } else {
          expect([direct, relayed]).to.deep.equal([0, 0]);
        }
      });

      it("survives a node stop: clients on it reconnect elsewhere, the others keep their connection, without a pause", async () => {
        await connectAll(2 * nodeCount);
        const victim = 0;
        const ids = clients.map((c) => c.details.id);
        const onVictim = clients.filter((c) => nodeOf(c.details.id) === victim);
        const elsewhere = clients.filter((c) => nodeOf(c.details.id) !== victim);
        const reconnected = onVictim.map(
          (c) => new Promise<void>((resolve) => c.once("reconnected", () => resolve())),
        );
        const dropped: ActionwireClient[] = [];
        for (const c of elsewhere) c.on("disconnected", () => dropped.push(c));

        // faye's client logs each message that failed to go out on a socket closed under it,
        // which it sends again only after its retry interval (5 s by default); the sessions
        // of the clients the node said goodbye to end, so theirs do not count.
        const failedSends = new Map<string, string>();
        const saidGoodbye = new Set<string>();
        faye.logger = {
          debug: (line) => {
            const clientId = /Client "(\w+)"/.exec(line)?.[1] ?? "";
            if (/failed to send .* via "websocket": \[\{/.test(line))
              failedSends.set(clientId, line);
            if (/ received from .*"status":"Bye!"/.test(line)) saidGoodbye.add(clientId);
          },
        };

        // A deploy: the balancer stops sending it new connections, then the node stops.
        proxy.down(nodes[victim]!.url);
        try {
          await nodes[victim]!.stop();
          await Promise.all(reconnected);
        } finally {
          delete faye.logger;
        }

        // The clients whose connection lived elsewhere kept it (and its id), whichever node
        // their socket went through; the others are connected again on live nodes (resumed,
        // with the client's resume on).
        expect(dropped).to.deep.equal([]);
        for (const c of elsewhere) expect(c.details.id).to.equal(ids[clients.indexOf(c)]);
        for (const c of onVictim) expect(nodeOf(c.details.id)).to.be.greaterThan(victim);
        // The sockets the stopped node relayed closed with nothing in flight on them (see
        // FayeWebSocketRelay.drain): their clients had nothing to wait for.
        for (const clientId of saidGoodbye) failedSends.delete(clientId);
        expect([...failedSends.values()]).to.deep.equal([]);
        await chatRound("after the stop");
        await incrementRound("after");
      });
    });
