import { expect } from "chai";
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { RoundRobinProxy } from "../helpers/round-robin-proxy.js";

/** A TCP server that greets each connection with its name and echoes what it is sent. */
class EchoBackend {
  readonly sockets = new Set<Socket>();
  /** Everything each connection sent, in order of connections. */
  readonly received: string[] = [];

  private constructor(
    readonly name: string,
    readonly server: Server,
  ) {}

  static async start(name: string): Promise<EchoBackend> {
    const server = createServer();
    const backend = new EchoBackend(name, server);
    server.on("connection", (socket) => {
      backend.sockets.add(socket);
      const index = backend.received.push("") - 1;
      socket.once("close", () => backend.sockets.delete(socket));
      socket.on("error", () => undefined);
      socket.on("data", (chunk: Buffer) => {
        backend.received[index] += chunk.toString();
        socket.write(chunk);
      });
      socket.write(`${name}\n`);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return backend;
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** A client of the proxy: reads everything it is sent. */
class ProxyClient {
  text = "";
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.text += chunk.toString();
      socket.emit("text");
    });
    socket.on("error", () => undefined);
    // (events.once would reject on the error of a refused connection.)
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  /** Connects (a refused connection just closes: see {@link closed}). */
  static connect(proxy: RoundRobinProxy): ProxyClient {
    return new ProxyClient(connect(proxy.port, "127.0.0.1"));
  }

  /** Waits until what it was sent includes `text`. */
  async until(text: string): Promise<void> {
    while (!this.text.includes(text)) {
      if (this.socket.closed) throw new Error(`closed before "${text}"; got "${this.text}"`);
      await Promise.race([
        new Promise((resolve) => this.socket.once("text", resolve)),
        this.closed,
      ]);
    }
  }

  /** The backend that greeted it. */
  async backend(): Promise<string> {
    await this.until("\n");
    return this.text.slice(0, this.text.indexOf("\n"));
  }
}

describe("RoundRobinProxy (test helper, real sockets)", function () {
  let backends: EchoBackend[];
  let proxy: RoundRobinProxy;
  let clients: ProxyClient[];

  const client = async () => {
    const c = ProxyClient.connect(proxy);
    await new Promise<void>((resolve) => {
      c.socket.once("connect", resolve);
      c.socket.once("close", () => resolve());
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    clients = [];
    backends = await Promise.all(["a", "b", "c"].map((name) => EchoBackend.start(name)));
    proxy = await RoundRobinProxy.start(backends.map((b) => b.address));
  });

  afterEach(async () => {
    for (const c of clients) c.socket.destroy();
    await proxy.close();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it("sends each new connection to the next backend, in turn, and counts them", async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await (await client()).backend());
    expect(seen).to.deep.equal(["a", "b", "c", "a", "b", "c"]);
    expect(proxy.stats().map((s) => [s.connections, s.open])).to.deep.equal([
      [2, 2],
      [2, 2],
      [2, 2],
    ]);
    expect(proxy.openConnections).to.equal(6);
  });

  it("carries bytes both ways and passes a half-close on", async () => {
    const c = await client();
    expect(await c.backend()).to.equal("a");
    c.socket.end("hello");
    await c.until("hello");
    await c.closed;
    expect(backends[0]!.received).to.deep.equal(["hello"]);
  });

  it("skips a backend marked down, and uses it again once up", async () => {
    proxy.down(backends[1]!.address);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(await (await client()).backend());
    expect(seen).to.deep.equal(["a", "c", "a", "c"]);
    proxy.up(backends[1]!.address);
    expect(await (await client()).backend()).to.equal("a");
    expect(await (await client()).backend()).to.equal("b");
    expect(proxy.connections(backends[1]!.address)).to.equal(1);
  });

  it("tries the next backend when one refuses the connection, and counts the refusal", async () => {
    await backends[0]!.stop();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(await (await client()).backend());
    expect(seen).to.deep.equal(["b", "c", "b"]);
    expect(proxy.stats()[0]).to.include({ connections: 0, failed: 2 });
  });

  it("closes a connection when no backend is live", async () => {
    for (const b of backends) proxy.down(b.address);
    const refused = once(proxy, "refused");
    const c = await client();
    await c.closed;
    await refused;
    expect(c.text).to.equal("");
    expect(proxy.refused).to.equal(1);
  });

  it("takes a new list of backends, keeping the counters of those that stay", async () => {
    await (await client()).backend();
    proxy.setBackends([backends[2]!.address, `http://${backends[0]!.address}`]);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(await (await client()).backend());
    expect(seen).to.deep.equal(["c", "a", "c"]);
    expect(proxy.stats().map((s) => s.connections)).to.deep.equal([2, 2]);
  });

  it("drops every proxied connection at once, on both sides", async () => {
    const all = await Promise.all([client(), client(), client(), client()]);
    await Promise.all(all.map((c) => c.backend()));
    await proxy.dropAll();
    await Promise.all(all.map((c) => c.closed));
    expect(proxy.openConnections).to.equal(0);
    await Promise.all(
      backends.flatMap((b) => [...b.sockets].map((s) => (s.closed ? null : once(s, "close")))),
    );
    // New connections still work.
    expect(await (await client()).backend()).to.be.oneOf(["a", "b", "c"]);
  });

  it("drops only one backend's connections when asked", async () => {
    const all = await Promise.all([client(), client(), client()]);
    await Promise.all(all.map((c) => c.backend()));
    await proxy.dropAll(backends[1]!.address);
    await all[1]!.closed;
    expect(proxy.stats().map((s) => s.open)).to.deep.equal([1, 0, 1]);
  });

  it("stalls existing connections during a cut and moves their bytes once it heals", async () => {
    const c = await client();
    await c.backend();
    let resumed = false;
    proxy.once("resumed", () => (resumed = true));
    const arrivedAfterResume = new Promise<boolean>((resolve) => {
      backends[0]!.sockets
        .values()
        .next()
        .value!.once("data", () => resolve(resumed));
    });
    proxy.pause();
    c.socket.write("during the cut");
    await proxy.cut(150);
    expect(await arrivedAfterResume).to.equal(true);
    await c.until("during the cut");
  });

  it("refuses new connections during a cut when asked, and takes them again after", async () => {
    proxy.pause({ newConnections: "refuse" });
    const c = await client();
    await c.closed;
    expect(proxy.refused).to.equal(1);
    proxy.resume();
    expect(await (await client()).backend()).to.equal("a");
  });

  it("holds new connections during a cut and routes them when it heals", async () => {
    let resumed = false;
    proxy.once("resumed", () => (resumed = true));
    const reached = once(backends[0]!.server, "connection").then(() => resumed);
    const cut = proxy.cut(100);
    const c = await client();
    c.socket.write("sent into the hole");
    await cut;
    expect(await reached).to.equal(true);
    expect(await c.backend()).to.equal("a");
    await c.until("sent into the hole");
  });

  it("drops existing connections during a cut when asked", async () => {
    const c = await client();
    await c.backend();
    proxy.pause({ existing: "drop" });
    await c.closed;
    expect(proxy.openConnections).to.equal(0);
    proxy.resume();
  });

  it("stops listening at close", async () => {
    const c = await client();
    await c.backend();
    const port = proxy.port;
    await proxy.close();
    await c.closed;
    const refused = connect(port, "127.0.0.1");
    const [error] = (await once(refused, "error")) as [NodeJS.ErrnoException];
    expect(error.code).to.equal("ECONNREFUSED");
  });
});
