import { expect } from "chai";
import fc from "fast-check";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import type { ContractClient, ContractTransport } from "../../src/testing/contract-client.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { VERBS } from "../../src/core/verbs.js";
import { fayeContract } from "../helpers/faye-contract-client.js";
import { socketIoContract } from "../helpers/socketio-contract-client.js";
import { tcpContract } from "../helpers/tcp-test-client.js";
import { wsContract } from "../helpers/ws-contract-client.js";

/** Cases per transport: small in `npm test`, large with `npm run fuzz` (FUZZ_RUNS). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

/** Verbs that end the connection are left out: the fuzzed client must stay to be answered. */
const SAFE_VERBS = VERBS.filter((verb) => !["quit", "exit", "close"].includes(verb));
/** Names socket.io's client refuses to emit. */
const RESERVED = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

const nasty = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty"),
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("\u0000", "\ud800", "\uffff", "🙂".repeat(100), "x".repeat(70_000)),
);
const deep = fc.integer({ min: 1, max: 200 }).map((depth) => {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
});
const value = fc.oneof(
  fc.jsonValue(),
  deep,
  fc.dictionary(nasty, fc.jsonValue(), { maxKeys: 5 }),
  fc.constant(null),
  fc.constant(undefined),
);
/** A request's three parts, each sometimes valid, sometimes of any type. */
const request = fc.record({
  event: fc.oneof(fc.constantFrom(...SAFE_VERBS), nasty),
  params: fc.oneof(
    value,
    fc.record({
      action: fc.oneof(
        fc.constantFrom("echo", "cacheTest", "validateTest", "failTest", "status"),
        nasty,
      ),
      key: value,
      value,
      n: value,
      room: fc.oneof(nasty, value),
      message: fc.oneof(nasty, value),
    }),
  ),
  messageId: fc.oneof(fc.string(), fc.integer(), fc.double(), value),
});

/** Cases that reached the server, per transport (by name), printed once every suite has run. */
const ran = new Map<string, { requests: number; frames: number }>();
function tally(transport: string, kind: "requests" | "frames", cases: number): void {
  const counts = ran.get(transport) ?? { requests: 0, frames: 0 };
  counts[kind] += cases;
  ran.set(transport, counts);
}

const KINDS: ContractTransport[] = [
  wsContract(),
  socketIoContract("websocket"),
  fayeContract("websocket"),
  tcpContract(),
];

describe("protocol fuzzing", () => {
  after(() => {
    for (const [transport, { requests, frames }] of ran) {
      const parts = [
        `${requests} random requests`,
        ...(frames > 0 ? [`${frames} random raw frames`] : []),
      ];
      console.log(`    fuzz: ${requests + frames} cases over ${transport} (${parts.join(", ")})`);
    }
  });

  for (const kind of KINDS) {
    describe(`fuzz: random requests over ${kind.label}`, function () {
      this.timeout(120_000);
      let server: ActionwireServer;
      let fuzzed: ContractClient;
      let neighbour: ContractClient;

      before(async () => {
        server = await startDemoServer({
          ...kind.serverConfig,
          limits: { rate: 1_000_000, maxPendingActions: 1_000 },
        });
        fuzzed = await kind.connect(server);
        neighbour = await kind.connect(server);
      });

      after(async () => {
        await fuzzed.close();
        await neighbour.close();
        await server.stop();
      });

      it(`answers every one of ${RUNS} random requests with a reply or a coded error; a neighbour is served throughout`, async () => {
        let sent = 0;
        await fc.assert(
          fc.asyncProperty(request, async ({ event, params, messageId }) => {
            if (kind.transport === "socketio" && RESERVED.has(event)) return;
            fuzzed.send(event, params, messageId);
            const count = ++sent;
            const reply = await fuzzed.inbox.next(
              (m) => m.context === "response" && m.messageCount === count,
            );
            if (reply.error !== undefined) {
              expect(reply.code).to.match(/^ERR_[A-Z_]+$/);
              expect(reply.status).to.equal(reply.error);
            }
            expect((await neighbour.request("roomView")).status).to.equal("OK");
          }),
          { numRuns: RUNS },
        );
        expect(server.connectionCount).to.equal(2);
        tally(kind.transport, "requests", sent);
      });
    });
  }

  describe("fuzz: random raw frames (ws text and binary, tcp lines)", function () {
    this.timeout(120_000);
    let server: ActionwireServer;

    before(async () => {
      server = await startDemoServer({
        transports: ["ws", "tcp"],
        tcp: { port: 0 },
        limits: { rate: 1_000_000, maxPendingActions: 1_000 },
      });
    });

    after(() => server.stop());

    it(`answers ${RUNS} random ws frames, text or binary, with a reply or a coded error`, async () => {
      const { WsTestClient } = await import("../helpers/ws-test-client.js");
      const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ unit: "binary", maxLength: 300 }).map((text) => ({ text })),
            fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes: Buffer.from(bytes) })),
          ),
          async (frame) => {
            if ("text" in frame && /"event"\s*:\s*"(quit|exit|close)"/.test(frame.text)) return;
            if ("text" in frame) client.sendRaw(frame.text);
            else client.sendRaw(frame.bytes, true);
            const count = ++sent;
            const reply = await client.next(
              (m) => m.context === "response" && m.messageCount === count,
            );
            if (reply.error !== undefined) expect(reply.code).to.match(/^ERR_[A-Z_]+$/);
          },
        ),
        { numRuns: RUNS },
      );
      tally("ws", "frames", sent);
      await client.close();
    });

    it(`answers ${RUNS} random tcp lines with a reply or a coded error`, async () => {
      const { TcpTestClient, tcpPort } = await import("../helpers/tcp-test-client.js");
      const client = await TcpTestClient.connect(tcpPort(server));
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 300 }), async (text) => {
          const line = text.replace(/[\r\n]/g, " ");
          const first = line.trim().split(" ")[0] ?? "";
          if (line.trim() === "" || ["quit", "exit", "close"].includes(first)) return;
          if (/"event"\s*:\s*"(quit|exit|close)"/.test(line)) return;
          client.line(line);
          const count = ++sent;
          const reply = await client.inbox.next(
            (m) => m.context === "response" && m.messageCount === count,
          );
          if (reply.error !== undefined) expect(reply.code).to.match(/^ERR_[A-Z_]+$/);
        }),
        { numRuns: RUNS },
      );
      tally("tcp", "frames", sent);
      await client.close();
    });
  });
});
