import { expect } from "chai";
import type { InProcessClient } from "../../../src/core/in-process-transport.js";
import type { ActionwireServer } from "../../../src/server/actionwire-server.js";
import { connected, request, startInProcessServer } from "../../helpers/in-process-server.js";

describe("rooms (in-process transport)", () => {
  let server: ActionwireServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  const start = async (config: Parameters<typeof startInProcessServer>[0] = {}) => {
    const started = await startInProcessServer(config);
    server = started.server;
    return (): Promise<InProcessClient> => connected(started.connect);
  };

  it("sends no entered/left notices when room notices are off", async () => {
    const connect = await start({ roomNotices: false });
    const a = await connect();
    const b = await connect();
    await request(b, "roomChange", { room: "elsewhere" });
    await request(b, "roomChange", { room: "defaultRoom" });
    await request(b, "say", { message: "marker" });
    await a.next((m) => m.message === "marker");
    expect(a.received.filter((m) => m.context === "user")).to.have.length(1);
  });

  it("starts outside any room without a default room: say and roomView are ERR_NOT_IN_ROOM", async () => {
    const connect = await start({ defaultRoom: null });
    const c = await connect();
    expect(c.received[0]).to.deep.include({ room: null });
    expect(await request(c, "say", { message: "hi" })).to.include({
      code: "ERR_NOT_IN_ROOM",
      error: "you are not in a room",
    });
    expect((await request(c, "roomView")).code).to.equal("ERR_NOT_IN_ROOM");
    expect((await request(c, "roomChange", { room: "first" })).status).to.equal("OK");
    expect((await request(c, "roomView")).data).to.deep.include({ room: "first", membersCount: 1 });
  });

  it("does nothing, and announces nothing, on a change to the current room", async () => {
    const connect = await start();
    const a = await connect();
    const b = await connect();
    await a.next((m) => m.message === "I have entered the room");
    expect((await request(b, "roomChange", { room: "defaultRoom" })).status).to.equal("OK");
    await request(b, "say", { message: "marker" });
    await a.next((m) => m.message === "marker");
    expect(a.received.filter((m) => m.context === "user")).to.have.length(2);
  });

  it("stops listening to a room it joins", async () => {
    const connect = await start();
    const a = await connect();
    await request(a, "listenToRoom", { room: "side" });
    await request(a, "roomChange", { room: "side" });
    const details = (await request(a, "detailsView")).data as Record<string, unknown>;
    expect(details).to.deep.include({ room: "side", listeningRooms: [] });
    expect((await request(a, "silenceRoom", { room: "side" })).code).to.equal("ERR_NOT_LISTENING");
  });

  it("lets hooks refuse a join, a listen and a say", async () => {
    const connect = await start({
      roomHooks: {
        authorizeJoin: (_c, room) => room !== "closed",
        authorizeListen: async (_c, room) => room !== "secret",
        authorizeSay: (_c, _room, message) => !message.includes("spam"),
      },
    });
    const a = await connect();
    expect(await request(a, "roomChange", { room: "closed" })).to.include({
      code: "ERR_NOT_AUTHORIZED",
      error: "not authorized to join room",
    });
    expect(await request(a, "listenToRoom", { room: "secret" })).to.include({
      code: "ERR_NOT_AUTHORIZED",
      error: "not authorized to listen to room",
    });
    expect(await request(a, "say", { message: "buy spam" })).to.include({
      code: "ERR_NOT_AUTHORIZED",
      error: "not authorized to speak in room",
    });
    expect((await request(a, "say", { message: "fine" })).status).to.equal("OK");
    expect(((await request(a, "detailsView")).data as { room: string }).room).to.equal(
      "defaultRoom",
    );
  });

  it("authorizes the default room too: refused, the connection starts in no room", async () => {
    const connect = await start({ roomRules: { defaultRoom: { staff: true } } });
    const client = await connect();
    expect(client.received[0]).to.deep.include({ context: "api", room: null });
    expect(((await request(client, "detailsView")).data as { room: unknown }).room).to.equal(null);
  });

  it("starts in no room when the default room's hook fails", async () => {
    const connect = await start({
      roomHooks: {
        authorizeJoin: () => {
          throw new Error("the directory is down");
        },
      },
    });
    const client = await connect();
    expect(client.received[0]).to.deep.include({ context: "api", room: null });
  });

  it("checks say and room params", async () => {
    const connect = await start({ limits: { maxSayLength: 5 } });
    const a = await connect();
    expect(await request(a, "say", {})).to.include({
      code: "ERR_MISSING_PARAM",
      error: "message is a required parameter",
    });
    expect(await request(a, "say", { message: 42 })).to.include({
      code: "ERR_INVALID_PARAM",
      error: "message is not valid: must be a string",
    });
    expect(await request(a, "say", { message: "toolong" })).to.include({
      code: "ERR_INVALID_PARAM",
      error: "message is not valid: longer than 5 characters",
    });
    expect((await request(a, "roomChange", {})).code).to.equal("ERR_MISSING_PARAM");
    expect((await request(a, "roomChange", { room: "r".repeat(300) })).code).to.equal(
      "ERR_INVALID_PARAM",
    );
  });

  it("announces the left notice of a closed connection to listeners too", async () => {
    const connect = await start();
    const member = await connect();
    const listener = await connect();
    await request(listener, "roomChange", { room: "other" });
    await request(listener, "listenToRoom", { room: "defaultRoom" });
    const memberId = ((await request(member, "detailsView")).data as { id: string }).id;
    member.close();
    const left = await listener.next((m) => m.message === "I have left the room");
    expect(left).to.include({ from: memberId, room: "defaultRoom" });
    expect(server!.connectionCount).to.equal(1);
  });
});
