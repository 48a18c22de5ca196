import { EventEmitter, once } from "node:events";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** A backend: `http://host:port` (a server's `url`), `host:port`, or the parts. */
export type BackendAddress = string | { host: string; port: number };

/** What a {@link RoundRobinProxy} does while it is paused (a network cut). */
export interface PauseOptions {
  /**
   * New connections: `refuse` closes each at once (a reset, as from a host that is down),
   * `blackhole` holds it unanswered and routes it once the proxy resumes (as a SYN that gets
   * through when the cut heals). Default `blackhole`.
   */
  newConnections?: "refuse" | "blackhole";
  /**
   * Connections already proxied: `stall` stops moving their bytes either way (the peers' writes
   * wait in the kernel's buffers) until the proxy resumes, `drop` destroys them. Default `stall`.
   */
  existing?: "stall" | "drop";
}

/** A backend's figures. */
export interface BackendStats {
  /** The backend as given. */
  readonly backend: string;
  /** Marked down: new connections skip it. */
  readonly down: boolean;
  /** Connections sent to it (each new TCP connection counts once, on the backend that took it). */
  readonly connections: number;
  /** Of those, still open. */
  readonly open: number;
  /** Connection attempts it refused (or that failed before connecting); the next backend was tried. */
  readonly failed: number;
}

/** Events of a {@link RoundRobinProxy}. */
export interface RoundRobinProxyEvents {
  /** A connection reached `backend` (its upstream connection is open). */
  routed: [backend: string];
  /** A client connection was closed without reaching a backend (none live, refused while paused). */
  refused: [];
  /** A proxied connection ended (either side). */
  closed: [backend: string];
  /** The proxy resumed after a pause. */
  resumed: [];
}

interface Backend {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  down: boolean;
  connections: number;
  failed: number;
  readonly open: Set<Pipe>;
}

/** One client connection and, once routed, its upstream. */
interface Pipe {
  readonly client: Socket;
  upstream: Socket | undefined;
  backend: Backend | undefined;
}

/**
 * A round-robin TCP proxy for tests, on 127.0.0.1 port 0: each new TCP connection goes to the
 * next live backend in the list (no stickiness whatever the protocol above), with the controls a
 * chaos test needs: backends marked down and up or replaced, every proxied connection dropped at
 * once, a network cut (new connections refused or blackholed, existing ones stalled or dropped),
 * and counters per backend.
 *
 * A backend that refuses a connection (a stopped node not yet marked down) is skipped for that
 * connection: the next live one is tried, as a balancer with health checks would, and the
 * refusal is counted. With no live backend left, the client's connection is closed.
 */
export class RoundRobinProxy extends EventEmitter<RoundRobinProxyEvents> {
  #backends: Backend[] = [];
  #next = 0;
  /** Client connections not routed yet (connecting, or blackholed during a pause). */
  readonly #waiting = new Set<Pipe>();
  #paused: Required<PauseOptions> | undefined;
  #refused = 0;
  #closing = false;

  private constructor(private readonly server: Server) {
    super();
  }

  /** Starts listening on 127.0.0.1, port 0, in front of `backends`. */
  static async start(backends: readonly BackendAddress[]): Promise<RoundRobinProxy> {
    // No Nagle on either side, as a real balancer does: a small frame is not held back.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const proxy = new RoundRobinProxy(server);
    proxy.setBackends(backends);
    server.on("connection", (client) => proxy.#accept(client));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return proxy;
  }

  /** The proxy's port. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`, to put in place of a server's URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Client connections closed without reaching a backend. */
  get refused(): number {
    return this.#refused;
  }

  /** Proxied connections open now, on every backend. */
  get openConnections(): number {
    return this.#backends.reduce((sum, backend) => sum + backend.open.size, 0);
  }

  /**
   * Replaces the list of backends. Counters and down marks of backends that stay (same key) are
   * kept; connections to backends that leave the list stay open.
   */
  setBackends(backends: readonly BackendAddress[]): void {
    const before = new Map(this.#backends.map((backend) => [backend.key, backend]));
    this.#backends = backends.map((address) => {
      const { key, host, port } = parseAddress(address);
      return (
        before.get(key) ?? {
          key,
          host,
          port,
          down: false,
          connections: 0,
          failed: 0,
          open: new Set(),
        }
      );
    });
    this.#next = 0;
  }

  /** New connections skip `backend` (its open connections stay) until {@link up}. */
  down(backend: BackendAddress): void {
    this.#backend(backend).down = true;
  }

  /** `backend` takes new connections again. */
  up(backend: BackendAddress): void {
    this.#backend(backend).down = false;
  }

  /** Figures for each backend, in list order. */
  stats(): BackendStats[] {
    return this.#backends.map((backend) => ({
      backend: backend.key,
      down: backend.down,
      connections: backend.connections,
      open: backend.open.size,
      failed: backend.failed,
    }));
  }

  /** Connections `backend` was sent so far. */
  connections(backend: BackendAddress): number {
    return this.#backend(backend).connections;
  }

  /**
   * Destroys every proxied connection at once (both its sockets; waiting ones too), or only
   * those to `backend`; resolves when they are all closed.
   */
  async dropAll(backend?: BackendAddress): Promise<void> {
    const only = backend === undefined ? undefined : this.#backend(backend);
    const pipes = [
      ...(only === undefined ? this.#waiting : []),
      ...(only === undefined ? this.#backends : [only]).flatMap((b) => [...b.open]),
    ];
    await Promise.all(pipes.map((pipe) => destroyPipe(pipe)));
  }

  /** A network cut: see {@link PauseOptions}. Connections keep their state until {@link resume}. */
  pause(options: PauseOptions = {}): void {
    const paused = { newConnections: "blackhole", existing: "stall", ...options } as const;
    this.#paused = paused;
    for (const backend of this.#backends) {
      for (const pipe of backend.open) {
        if (paused.existing === "drop") void destroyPipe(pipe);
        else {
          pipe.client.pause();
          pipe.upstream?.pause();
        }
      }
    }
  }

  /** Ends a pause: stalled connections move again, blackholed ones are routed. */
  resume(): void {
    if (this.#paused === undefined) return;
    this.#paused = undefined;
    for (const backend of this.#backends) {
      for (const pipe of backend.open) {
        pipe.client.resume();
        pipe.upstream?.resume();
      }
    }
    for (const pipe of [...this.#waiting]) {
      if (pipe.backend === undefined && pipe.upstream === undefined) this.#route(pipe, new Set());
    }
    this.emit("resumed");
  }

  /** {@link pause}, for `ms`, then {@link resume}; resolves once resumed. */
  async cut(ms: number, options: PauseOptions = {}): Promise<void> {
    this.pause(options);
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.resume();
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.dropAll();
    await closed;
  }

  #backend(address: BackendAddress): Backend {
    const { key } = parseAddress(address);
    const backend = this.#backends.find((b) => b.key === key);
    if (backend === undefined) throw new Error(`no backend ${key} in the proxy's list`);
    return backend;
  }

  #accept(client: Socket): void {
    const pipe: Pipe = { client, upstream: undefined, backend: undefined };
    client.on("error", () => undefined);
    if (this.#closing) {
      client.destroy();
      return;
    }
    if (this.#paused?.newConnections === "refuse") {
      this.#refuse(client);
      return;
    }
    this.#waiting.add(pipe);
    client.once("close", () => {
      this.#waiting.delete(pipe);
      pipe.upstream?.destroy();
    });
    // Blackholed: routed by resume().
    if (this.#paused === undefined) this.#route(pipe, new Set());
  }

  /** Connects `pipe` to the next live backend not in `tried`. */
  #route(pipe: Pipe, tried: Set<Backend>): void {
    const backend = this.#pick(tried);
    if (backend === undefined) {
      this.#waiting.delete(pipe);
      this.#refuse(pipe.client);
      return;
    }
    tried.add(backend);
    const upstream = connect({
      host: backend.host,
      port: backend.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    pipe.upstream = upstream;
    const failed = (): void => {
      backend.failed++;
      pipe.upstream = undefined;
      if (pipe.client.destroyed) return;
      if (this.#paused !== undefined) return; // blackholed: routed again at resume
      this.#route(pipe, tried);
    };
    upstream.once("error", failed);
    upstream.once("connect", () => {
      upstream.off("error", failed);
      upstream.on("error", () => undefined);
      if (pipe.client.destroyed) {
        upstream.destroy();
        return;
      }
      this.#waiting.delete(pipe);
      pipe.backend = backend;
      backend.connections++;
      backend.open.add(pipe);
      this.#splice(pipe, upstream, backend);
      this.emit("routed", backend.key);
    });
  }

  #pick(tried: Set<Backend>): Backend | undefined {
    const count = this.#backends.length;
    for (let step = 0; step < count; step++) {
      const index = (this.#next + step) % count;
      const backend = this.#backends[index]!;
      if (backend.down || tried.has(backend)) continue;
      this.#next = (index + 1) % count;
      return backend;
    }
    return undefined;
  }

  /** Moves bytes both ways, with backpressure, and stalls while paused. */
  #splice(pipe: Pipe, upstream: Socket, backend: Backend): void {
    const { client } = pipe;
    const flow = (from: Socket, to: Socket): void => {
      from.on("data", (chunk: Buffer) => {
        if (!to.write(chunk)) from.pause();
      });
      to.on("drain", () => {
        if (this.#paused === undefined) from.resume();
      });
      from.once("end", () => to.end());
    };
    flow(client, upstream);
    flow(upstream, client);
    let closed = false;
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      if (closed) return;
      closed = true;
      backend.open.delete(pipe);
      this.emit("closed", backend.key);
    };
    client.once("close", close);
    upstream.once("close", close);
    if (this.#paused?.existing === "drop") {
      close();
      return;
    }
    if (this.#paused === undefined) {
      client.resume();
      upstream.resume();
    } else {
      upstream.pause();
    }
  }

  #refuse(client: Socket): void {
    this.#refused++;
    client.resetAndDestroy();
    this.emit("refused");
  }
}

function parseAddress(address: BackendAddress): { key: string; host: string; port: number } {
  if (typeof address !== "string") {
    return { key: `${address.host}:${address.port}`, ...address };
  }
  const url = new URL(address.includes("://") ? address : `tcp://${address}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in backend ${address}`);
  return { key: `${url.hostname}:${port}`, host, port };
}

/** Destroys both sockets of `pipe`; resolves once the client's is closed. */
async function destroyPipe(pipe: Pipe): Promise<void> {
  const closed = pipe.client.closed ? Promise.resolve() : once(pipe.client, "close");
  pipe.client.destroy();
  pipe.upstream?.destroy();
  await closed;
}
