import { expect } from "chai";
import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { ServerProcess } from "../helpers/server-process.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

describe("every piece of per-connection state is bounded", () => {
  let server: ActionwireServer | undefined;
  const clients: WsTestClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    server = await startDemoServer({ transports: ["ws"], ...config });
  };
  const connect = async () => {
    const client = await WsTestClient.connect(`${server!.url.replace("http", "ws")}/ws`);
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.stop();
    server = undefined;
  });

  it("refuses a sticky param over limits.maxParams; replacing one still works", async () => {
    await start({ limits: { maxParams: 2 } });
    const client = await connect();
    const other = await connect();
    await client.request("paramAdd", { key: "a", value: 1 });
    await client.request("paramAdd", { key: "b", value: 2 });
    expect(await client.request("paramAdd", { key: "c", value: 3 })).to.include({
      code: "ERR_LIMIT_EXCEEDED",
      error: "too many sticky params: limits.maxParams is 2",
    });
    expect(await client.request("paramAdd", { key: "b", value: 22 })).to.include({ status: "OK" });
    await client.request("paramDelete", { key: "a" });
    expect(await client.request("paramAdd", { key: "c", value: 3 })).to.include({ status: "OK" });
    expect((await client.request("paramsView")).data).to.deep.equal({ b: 22, c: 3 });
    expect(await other.request("paramAdd", { key: "x", value: 1 })).to.include({ status: "OK" });
  });

  it("refuses sticky params over 64 KiB in all by default, and counts what is deleted", async () => {
    await start();
    const client = await connect();
    const big = "x".repeat(60_000);
    expect(await client.request("paramAdd", { key: "one", value: big })).to.include({
      status: "OK",
    });
    expect(await client.request("paramAdd", { key: "two", value: big })).to.include({
      code: "ERR_LIMIT_EXCEEDED",
      error: "sticky params too large: limits.maxParamsBytes is 65536 bytes",
    });
    // Replacing a param counts its new size instead of its old one.
    expect(await client.request("paramAdd", { key: "one", value: big + "y" })).to.include({
      status: "OK",
    });
    await client.request("paramsDelete");
    expect(await client.request("paramAdd", { key: "two", value: big })).to.include({
      status: "OK",
    });
    await client.request("paramDelete", { key: "two" });
    expect(await client.request("paramAdd", { key: "three", value: big })).to.include({
      status: "OK",
    });
  });

  it("refuses a listen over 128 rooms by default; silencing one frees a place", async () => {
    await start();
    const client = await connect();
    const other = await connect();
    for (let i = 0; i < 128; i++) {
      expect(await client.request("listenToRoom", { room: `r${i}` })).to.include({ status: "OK" });
    }
    expect(await client.request("listenToRoom", { room: "r128" })).to.include({
      code: "ERR_LIMIT_EXCEEDED",
      error: "too many listened rooms: limits.maxListenedRooms is 128",
    });
    await client.request("silenceRoom", { room: "r0" });
    expect(await client.request("listenToRoom", { room: "r128" })).to.include({ status: "OK" });
    expect(await other.request("listenToRoom", { room: "r0" })).to.include({ status: "OK" });
    const details = (await client.request("detailsView")).data as { listeningRooms: string[] };
    expect(details.listeningRooms).to.have.length(128);
  });

  it("counts listens in flight against limits.maxListenedRooms", async () => {
    await start({ limits: { maxListenedRooms: 3 } });
    const client = await connect();
    const replies = await Promise.all(
      ["a", "b", "c", "d", "e"].map((room) => client.request("listenToRoom", { room })),
    );
    expect(replies.map((r) => r.code ?? r.status)).to.deep.equal([
      "OK",
      "OK",
      "OK",
      "ERR_LIMIT_EXCEEDED",
      "ERR_LIMIT_EXCEEDED",
    ]);
  });

  // The case that took a node down before the bound: ten connections each adding 60 KB params
  // under fresh keys. 120 adds each would keep 72 MB without it; with it, 64 KiB each.
  it("keeps a server's heap flat while ten connections flood it with sticky params", async function () {
    this.timeout(60_000);
    const node = await ServerProcess.start({ transports: ["ws"] });
    try {
      const flooders = await Promise.all(
        Array.from({ length: 10 }, () =>
          WsTestClient.connect(`${node.url.replace("http", "ws")}/ws`),
        ),
      );
      const before = await node.figures();
      const value = "x".repeat(60_000);
      const outcomes = await Promise.all(
        flooders.map(async (client) => {
          const codes: string[] = [];
          for (let i = 0; i < 120; i++) {
            const reply = await client.request("paramAdd", { key: `k${i}`, value });
            codes.push(String(reply.code ?? reply.status));
          }
          return codes;
        }),
      );
      const after = await node.figures();
      for (const codes of outcomes) {
        expect(codes[0]).to.equal("OK");
        expect(codes.slice(1).every((code) => code === "ERR_LIMIT_EXCEEDED")).to.equal(true);
      }
      const grewMiB = (after.heapUsed - before.heapUsed) / 2 ** 20;
      console.log(`      param flood: server heap grew ${grewMiB.toFixed(1)} MiB (72 MB sent)`);
      expect(grewMiB).to.be.below(8);
      await Promise.all(flooders.map((client) => client.close()));
    } finally {
      await node.stop();
    }
  });
});
