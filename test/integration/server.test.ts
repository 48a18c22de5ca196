import { expect } from "chai";
import { spawn } from "node:child_process";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { once } from "node:events";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createServer } from "../../src/server/actionwire-server.js";
import { WsTestClient } from "../helpers/ws-test-client.js";
import { selfSignedCert } from "../helpers/self-signed-cert.js";
import { WsFixture } from "../helpers/ws-server.js";

describe("server", () => {
  it("serves over HTTPS with the tls option", async () => {
    const fixture = await WsFixture.start({ tls: selfSignedCert() });
    expect(fixture.server.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = await WsTestClient.connect(fixture.wsUrl, { rejectUnauthorized: false });
    expect(fixture.wsUrl).to.match(/^wss:/);
    expect((await client.request("roomView")).status).to.equal("OK");
    await client.close();
    await fixture.stop();
  });

  it("honours X-Forwarded-For only from a trusted proxy", async () => {
    const trusting = await WsFixture.start({ trustedProxies: ["127.0.0.1"] });
    const viaProxy = await WsTestClient.connect(trusting.wsUrl, {
      headers: { "x-forwarded-for": "203.0.113.7" },
    });
    expect(
      ((await viaProxy.request("detailsView")).data as { remoteIP: string }).remoteIP,
    ).to.equal("203.0.113.7");
    await viaProxy.close();
    await trusting.stop();

    const plain = await WsFixture.start();
    const spoofer = await WsTestClient.connect(plain.wsUrl, {
      headers: { "x-forwarded-for": "203.0.113.7" },
    });
    expect(((await spoofer.request("detailsView")).data as { remoteIP: string }).remoteIP).to.equal(
      "127.0.0.1",
    );
    await spoofer.close();
    await plain.stop();
  });

  it("attaches to an existing http.Server without taking over its requests", async () => {
    const http = createHttpServer((_req, res) => res.end("app"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as { port: number };
    const server = await createServer({ server: http, transports: ["ws"] }).start();
    const client = await WsTestClient.connect(`ws://127.0.0.1:${port}/ws`);
    expect((await client.request("roomView")).status).to.equal("OK");
    const body = await new Promise<string>((resolve, reject) =>
      httpRequest(`http://127.0.0.1:${port}/anything`, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end(),
    );
    expect(body).to.equal("app");
    await client.close();
    await server.stop();
    expect(http.listening).to.equal(true);
    http.close();
  });

  it("waits for actions in flight on stop, then says goodbye to everyone", async () => {
    const fixture = await WsFixture.start();
    const client = await fixture.connect();
    const reply = client.action("sleepTest", { sleepDuration: 100 });
    await client.request("roomView"); // the action is in flight once a later request answers
    const stopping = fixture.server.stop();
    expect((await reply).sleepDuration).to.equal(100);
    const { reconnectAfterMs, ...goodbye } = await client.next((m) => m.context === "api");
    expect(goodbye).to.deep.equal({ context: "api", status: "Bye!", reason: "server shutdown" });
    expect(reconnectAfterMs).to.be.a("number").within(0, 2_000);
    await client.closed;
    await stopping;
    await fixture.stop();
  });

  it("gives up waiting for actions after shutdownTimeoutMs", async () => {
    const fixture = await WsFixture.start({ shutdownTimeoutMs: 50 });
    const client = await fixture.connect();
    let replied = false;
    void client.action("sleepTest", { sleepDuration: 5000 }).then(() => (replied = true));
    await client.request("roomView"); // the action is in flight once a later request answers
    await fixture.server.stop();
    expect(await client.next((m) => m.context === "api")).to.include({ reason: "server shutdown" });
    await client.closed;
    expect(replied).to.equal(false);
    await fixture.stop();
  });
});

describe("npm start (the demo CLI)", function () {
  this.timeout(20_000);

  it("serves the demo page and the ws transport, and stops cleanly on SIGTERM", async () => {
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli], {
      env: {
        ...process.env,
        PORT: "0",
        TCP_PORT: "0",
        HOST: "127.0.0.1",
        NODE_ID: "demo-1",
        REDIS_URL: "",
        METRICS: "on",
        ADMIN_TOKEN: "demo-admin-token-0123456789",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout! });
    let base = "";
    let admin = "";
    const endpoints: Record<string, string> = {};
    for await (const line of lines) {
      const demo = /^actionwire demo on (\S+)\//.exec(line);
      if (demo) base = demo[1]!;
      const adminLine = /^actionwire admin page on (\S+) /.exec(line);
      if (adminLine) admin = adminLine[1]!;
      const listening = /^actionwire (\w+) listening on (\S+)$/.exec(line);
      if (listening) endpoints[listening[1]!] = listening[2]!;
      if (Object.keys(endpoints).length === 4) break;
    }
    expect(endpoints.ws).to.equal(`${base.replace("http", "ws")}/ws`);
    expect(endpoints.socketio).to.equal(`${base}/socket.io`);
    expect(endpoints.faye).to.equal(`${base}/faye`);
    expect(endpoints.tcp).to.match(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const wsUrl = endpoints.ws!;
    const client = await WsTestClient.connect(wsUrl);
    const status = await client.action("status");
    expect(status).to.include({ id: "demo-1" });
    expect(status.connections).to.deep.equal({ ws: 1, socketio: 0, faye: 0, tcp: 0 });
    expect((await client.request("roomChange", { room: "secureRoom" })).code).to.equal(
      "ERR_NOT_AUTHORIZED",
    );
    const page = await new Promise<string>((resolve, reject) =>
      httpRequest(`${base}/`, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end(),
    );
    expect(page).to.contain("<html");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.contain('actionwire_connections{transport="ws"} 1');
    expect(admin).to.equal(`${base}/actionwire/admin`);
    const overview = await fetch(`${admin}/api/overview`, {
      headers: { authorization: "Bearer demo-admin-token-0123456789" },
    });
    expect(
      ((await overview.json()) as { totals: { connections: number } }).totals.connections,
    ).to.equal(1);
    const goodbye = client.next((m) => m.context === "api");
    child.kill("SIGTERM");
    expect(await goodbye).to.include({ reason: "server shutdown" });
    const [code] = await once(child, "exit");
    expect(code).to.equal(0);
  });

  it("refuses a bad environment with a sentence", async () => {
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, PORT: "0", ROOM_NOTICES: "maybe" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, "exit");
    expect(code).to.equal(1);
    expect(stderr).to.contain('ROOM_NOTICES must be "on" or "off" (got "maybe").');
  });

  it("refuses an admin token too short to protect the admin page", async () => {
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, PORT: "0", REDIS_URL: "", ADMIN_TOKEN: "secret" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, "close");
    expect(code).to.equal(1);
    expect(stderr).to.equal(
      "actionwire: config.admin.token must be at least 16 characters long.\n",
    );
  });

  it("on a port in use, prints one actionwire: line naming it and exits 1", async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", REDIS_URL: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, "close"); // after stderr has ended
    taken.close();
    expect(code).to.equal(1);
    expect(stderr).to.equal(
      `actionwire: cannot listen on 127.0.0.1:${port}: it is already in use (EADDRINUSE). ` +
        "Set PORT (or TCP_PORT) to a free port, or 0 for any.\n",
    );
  });
});
