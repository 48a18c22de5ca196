import { expect } from "chai";
import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

describe("every piece of per-connection state is bounded", () => {
  let server: ActionwireServer;
  const clients: WsTestClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    server = await startDemoServer({ transports: ["ws"], ...config });
  };
  const connect = async () => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
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
});
