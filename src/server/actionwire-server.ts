import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { DependencyContainer } from "tsyringe";
import type { ClusterBus } from "../core/cluster-bus.js";
import type { ActionDefinition } from "../core/actions/define-action.js";
import type { ClusterStore } from "../core/cluster-store.js";
import { type ActionwireConfig, resolveConfig, type ResolvedConfig } from "../core/config.js";
import type { ConnectionTable } from "../core/connection-table.js";
import type { RoomManager } from "../core/rooms/room-manager.js";
import { createServerContainer, transportRegistry } from "../core/container.js";
import type { GoodbyeReason } from "../core/connection-table.js";
import type { Dispatcher } from "../core/dispatcher.js";
import type { RemoteControl } from "../core/remote-control.js";
import { ConfigError } from "../core/errors.js";
import { inSpan } from "../core/instrumentation.js";
import type { Logger } from "../core/logger.js";
import type {
  RealtimeTransport,
  TransportClass,
  TransportHost,
} from "../core/realtime-transport.js";
import { TOKENS } from "../core/tokens.js";
import { RequestRouter } from "../core/request-router.js";
import { UpgradeRouter } from "../core/upgrade-router.js";
import { urlHost } from "../core/url-host.js";
import { AdminAnswers } from "./admin-answers.js";
import { AdminApi } from "./admin-api.js";
import { AdminStats } from "./admin-stats.js";
import { BrowserClientFiles } from "./browser-client-files.js";
import { clusterBusFactory } from "./composition-root.js";
import { DemoPage } from "./demo-page.js";
import { HealthChecks, type ServerState } from "./health-checks.js";
import { HttpActions } from "./http-actions.js";
import { HttpListeners } from "./http-listeners.js";
import { Metrics, type ServerMetrics } from "./metrics.js";
import { Tracing } from "./tracing.js";
import { remoteAddress } from "./remote-address.js";
import { closeListener } from "./http-replies.js";

/**
 * An actionwire server: the dispatcher, the chosen transports and the HTTP(S) server they share
 * (its own, or one the application already has in `config.server`). `A` is the union of its
 * actions, as `config.actions` declares them: `createClient<typeof server>` reads it.
 */
export class ActionwireServer<A extends ActionDefinition = ActionDefinition> {
  readonly config: ResolvedConfig & { readonly actions: readonly A[] };
  /** This server's dependency-injection container (a child of the library's). */
  readonly container: DependencyContainer;
  /** @internal The core's pipeline, for the server's own use (HTTP actions, shutdown). */
  readonly dispatcher: Dispatcher;
  readonly transports: readonly RealtimeTransport[];
  readonly upgrades = new UpgradeRouter();
  readonly requests = new RequestRouter();
  readonly #logger: Logger;
  readonly #table: ConnectionTable;
  readonly #bus: ClusterBus;
  readonly #remote: RemoteControl;
  #http: HttpServer | null = null;
  #ownsHttp = false;
  #state: ServerState = "new";
  readonly #demo: DemoPage;
  #unfollowHostClose: (() => void) | undefined;
  readonly #warnings: string[] = [];
  /** The stop under way (or done): a second `stop()` waits for the same one. */
  #stopping: Promise<void> | undefined;
  /** Transports whose start completed, in order: the ones stop must stop. */
  readonly #started: RealtimeTransport[] = [];
  /** The OpenTelemetry span hooks, when `config.tracing` is on. */
  #tracing: Tracing | undefined;
  /** The Prometheus metrics, when `config.metrics` is on. */
  #metrics: Metrics | undefined;
  /** The admin page's statistics and API, when `config.admin` is on. */
  #admin: { stats: AdminStats; answers: AdminAnswers; api: AdminApi } | undefined;
  /** actionwire as the HTTP server's one request and upgrade listener, while it runs. */
  #listeners: HttpListeners | undefined;

  constructor(config: ActionwireConfig & { actions?: readonly A[] } = {}) {
    const registry = transportRegistry();
    // The actions are the caller's own, as given: their type is the caller's too.
    this.config = resolveConfig(
      config,
      registry.entries(),
      registry.legacyKeys(),
    ) as ResolvedConfig & {
      readonly actions: readonly A[];
    };
    this.#demo = new DemoPage(this.config.browserClient.path);
    const classes = this.config.transports.map((entry) =>
      typeof entry === "string" ? registry.get(entry) : entry,
    );
    this.container = createServerContainer(this.config, clusterBusFactory(this.config));
    this.dispatcher = this.container.resolve<Dispatcher>(TOKENS.Dispatcher);
    this.#logger = this.container.resolve<Logger>(TOKENS.Logger);
    this.#table = this.container.resolve<ConnectionTable>(TOKENS.ConnectionTable);
    this.#bus = this.container.resolve<ClusterBus>(TOKENS.ClusterBus);
    this.#remote = this.container.resolve<RemoteControl>(TOKENS.RemoteControl);
    this.transports = classes.map((cls) => this.#instantiate(cls));
    const names = new Set<string>();
    for (const transport of this.transports) {
      if (names.has(transport.name)) {
        throw new ConfigError(`config.transports lists "${transport.name}" twice; list it once.`);
      }
      names.add(transport.name);
      this.#table.addTransport(transport);
    }
  }

  /** The HTTP(S) server the transports share (`null` before `start`). */
  get httpServer(): HttpServer | null {
    return this.#http;
  }

  /** The address the server listens on (after `start`). */
  get address(): AddressInfo {
    const address = this.#http?.address();
    if (address === null || address === undefined || typeof address === "string") {
      throw new Error("the server is not listening");
    }
    return address;
  }

  /** The base URL (`http://host:port`), with a wildcard host shown as 127.0.0.1. */
  get url(): string {
    const { address, port } = this.address;
    const secure = this.config.tls !== undefined || this.#http instanceof HttpsServer;
    return `${secure ? "https" : "http"}://${urlHost(address)}:${port}`;
  }

  /** The running transport with this name. */
  transport<T extends RealtimeTransport = RealtimeTransport>(name: string): T {
    const found = this.transports.find((transport) => transport.name === name);
    if (found === undefined) throw new Error(`no transport named ${name} on this server`);
    return found as T;
  }

  /**
   * Where the server is in its life: `running` between a completed `start` and the beginning of
   * `stop` (what `/readyz` answers 200 for).
   */
  get state(): ServerState {
    return this.#state;
  }

  /** The Prometheus metrics (`config.metrics`), once started; `undefined` when off. */
  get metrics(): ServerMetrics | undefined {
    return this.#metrics;
  }

  /** The admin page's URL on its own listener (`admin.port`), once started; else `undefined`. */
  get adminUrl(): string | undefined {
    return this.#admin?.api.url;
  }

  /** Connections on this node. */
  get connectionCount(): number {
    return this.#table.size;
  }

  /** Connections on this node by transport name. */
  connectionCounts(): Record<string, number> {
    return this.#table.countsByTransport();
  }

  /** Starts the transports and (unless embedded) listens on `config.port` / `config.host`. */
  async start(): Promise<this> {
    if (this.#state !== "new") throw new Error(`cannot start a server that is ${this.#state}`);
    this.#state = "starting";
    const { config } = this;
    try {
      if (config.server !== undefined) {
        this.#http = config.server;
      } else if (config.port !== null) {
        this.#http = config.tls ? createHttpsServer(config.tls) : createHttpServer();
        this.#ownsHttp = true;
      }
      if (this.#http !== null) {
        this.#listeners = new HttpListeners(this.#http, {
          request: (request, response) => this.requests.handle(request, response),
          upgrade: (request, socket, head) => this.upgrades.route(request, socket, head),
          unclaimedRequest: (request, response) => {
            if (this.config.demoPage && this.#demo.handle(request, response)) return;
            response.writeHead(404, { "content-type": "application/json" });
            response.end(JSON.stringify({ error: "not found" }));
          },
        });
      }
      if (this.#http !== null && config.health.enabled) {
        new HealthChecks(config, () => this.#state, this.#bus).attach(this.requests);
      }
      if (config.server !== undefined) this.#followHostClose(config.server);
      const rooms = this.container.resolve<RoomManager>(TOKENS.RoomManager);
      if (config.metrics.enabled) {
        const metrics = new Metrics(config, {
          connectionCounts: () => this.#table.countsByTransport(),
          localRoomCount: () => rooms.localRoomCount,
          bus: this.#bus,
        });
        this.#metrics = metrics;
        await metrics.start(this.#http === null ? undefined : this.requests);
      }
      if (config.admin.enabled) {
        const stats = new AdminStats(config.nodeId);
        stats.start();
        const answers = new AdminAnswers(
          config.nodeId,
          config.admin.userKey,
          stats,
          this.#table,
          rooms,
          this.#bus,
        );
        const trusted = new Set(this.config.trustedProxies);
        const api = new AdminApi({
          config,
          logger: this.#logger,
          bus: this.#bus,
          answers,
          disconnect: (connectionId, error) =>
            this.#remote.send({
              kind: "disconnect",
              connectionId,
              reason: "disconnected by server",
              code: "ERR_DISCONNECTED_BY_ADMIN",
              error,
            }),
          remoteAddress: (request) => remoteAddress(request, trusted).ip,
        });
        this.#admin = { stats, answers, api };
        await api.start(this.#http === null ? undefined : this.requests);
      }
      if (config.tracing) {
        this.#tracing = new Tracing(config);
        await this.#tracing.start();
      }
      const nodeId = config.nodeId;
      await this.#bus.start({
        // Sent from inside a span (a traced say), the delivery is a span of its own, its child.
        roomMessage: (envelope) =>
          envelope.trace === undefined
            ? rooms.roomMessage(envelope)
            : inSpan(
                nodeId,
                {
                  name: "room message",
                  kind: "consumer",
                  parent: envelope.trace,
                  attributes: { "actionwire.room": envelope.room },
                },
                () => rooms.roomMessage(envelope),
              ),
        membersReaped: (room, ids) => {
          rooms
            .membersReaped(room, ids)
            .catch((error: unknown) =>
              this.#logger.error("announcing reaped members failed", { error: String(error) }),
            );
        },
        command: (command) =>
          inSpan(
            nodeId,
            {
              name: `command ${command.kind}`,
              kind: "consumer",
              parent: command.trace,
              attributes: {},
            },
            () => this.#remote.run(command),
          ),
        answer: async (question) => {
          if (this.#admin === undefined) throw new Error("the admin page is off on this node");
          return this.#admin.answers.answer(question);
        },
      });
      const host = this.#host();
      if (this.#http !== null && config.httpActions.enabled) {
        const actions = new HttpActions(config, this.dispatcher, host.remoteAddress);
        this.requests.add(config.httpActions.path, actions.handle);
      }
      // The browser client and the seeds' page script, beside whatever transports run.
      if (this.#http !== null) {
        new BrowserClientFiles(this.transports, config.browserClient).attach(this.requests);
      }
      for (const transport of this.transports) {
        await transport.start(host);
        this.#started.push(transport);
      }
      const http = this.#http;
      if (this.#ownsHttp && http !== null) {
        const port = config.port ?? 0;
        await new Promise<void>((resolve, reject) => {
          http.once("error", reject);
          http.listen(port, config.host, () => {
            http.off("error", reject);
            resolve();
          });
        });
      }
    } catch (error) {
      // Undo what started, so a failed start leaves no listener, timer or socket behind.
      await this.stop();
      throw error;
    }
    this.#warnings.push(...config.warnings);
    const clustered = config.redis !== undefined || config.clusterBus !== undefined;
    for (const transport of clustered ? this.transports : []) {
      if (transport.capabilities.needsStickySessions) {
        this.#warnings.push(
          `The ${transport.name} transport as configured needs sticky sessions: behind a load balancer in front of several nodes, send each client to one node (see docs/clustering.md).`,
        );
      }
    }
    for (const warning of this.#warnings) this.#logger.warn(warning);
    this.#state = "running";
    return this;
  }

  /** What the configuration asks that cannot be done as asked (also logged at start). */
  get warnings(): readonly string[] {
    return this.#warnings;
  }

  /**
   * Records and counters shared by every node (the cluster bus's store: in Redis with `redis`),
   * usable while the server runs; `undefined` when the bus has none (one node, in memory).
   */
  get clusterStore(): ClusterStore | undefined {
    return this.#bus.store;
  }

  /**
   * Pushes an alert to a connection, wherever in the cluster it lives; `false` if no live node
   * holds it.
   */
  alert(
    connectionId: string,
    message: string,
    extra: Record<string, unknown> = {},
  ): Promise<boolean> {
    return this.#remote.send({ kind: "alert", connectionId, message, extra });
  }

  /**
   * Sends the goodbye push and closes a connection, wherever in the cluster it lives; `false` if
   * no live node holds it.
   */
  disconnect(
    connectionId: string,
    reason: GoodbyeReason = "disconnected by server",
  ): Promise<boolean> {
    return this.#remote.send({ kind: "disconnect", connectionId, reason });
  }

  /**
   * Graceful stop: new requests get `ERR_SHUTTING_DOWN`, actions in flight get up to
   * `shutdownTimeoutMs` to finish, every connection gets the goodbye push (`server shutdown`)
   * and is closed, the transports stop, and the HTTP server closes if the server owns it.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = "stopping";
    await this.dispatcher.drain(this.config.shutdownTimeoutMs);
    for (const connection of [...this.#table.values()]) {
      this.dispatcher.close(connection, "server shutdown");
    }
    for (const transport of this.#started.splice(0)) await transport.stop();
    await this.dispatcher.stop(this.config.shutdownTimeoutMs);
    await this.#bus.stop();
    await this.#metrics?.stop();
    this.#admin?.stats.stop();
    await this.#admin?.api.stop();
    this.#tracing?.stop();
    const http = this.#http;
    if (http !== null) {
      this.#unfollowHostClose?.();
      this.#listeners?.restore();
      if (this.#ownsHttp) await closeListener(http);
    }
    this.#state = "stopped";
  }

  /**
   * Embedded: when the application closes its server, actionwire stops with it. A server's
   * `close` event waits for every socket to end, upgraded ones included, so it would wait for
   * actionwire's own connections; instead the server's `close()` is wrapped (on the instance,
   * undone at stop) to start actionwire's graceful stop first.
   */
  #followHostClose(http: HttpServer): void {
    const hadOwn = Object.hasOwn(http, "close");
    const original = http.close;
    const stop = () =>
      this.stop().catch((error: unknown) =>
        this.#logger.error("stopping with the host server failed", { error: String(error) }),
      );
    http.close = function (this: HttpServer, ...args: Parameters<HttpServer["close"]>) {
      void stop();
      return original.apply(this, args);
    } as HttpServer["close"];
    this.#unfollowHostClose = () => {
      if (hadOwn) http.close = original;
      else delete (http as { close?: unknown }).close;
    };
  }

  #instantiate(cls: TransportClass): RealtimeTransport {
    try {
      return this.container.resolve(cls as unknown as new () => RealtimeTransport);
    } catch (error) {
      throw new ConfigError(
        `Cannot construct transport ${cls.name}: ${(error as Error).message}. A transport class takes no constructor arguments, or marks them with @inject(TOKENS.…).`,
      );
    }
  }

  #host(): TransportHost {
    const dispatcher = this.dispatcher;
    const trusted = new Set(this.config.trustedProxies);
    return {
      config: this.config,
      logger: this.#logger,
      httpServer: this.#http,
      upgrades: this.upgrades,
      requests: this.requests,
      clusterStore: this.#bus.store,
      remoteAddress: (request) => remoteAddress(request, trusted),
      connections: this.#table,
      accept: (transport, info) => dispatcher.accept(transport, info),
      receiveText: (connection, data, reply) => dispatcher.receiveText(connection, data, reply),
      receiveRequest: (connection, request, reply) =>
        dispatcher.receiveRequest(connection, request, reply),
      frameTooLarge: (connection) => dispatcher.frameTooLarge(connection),
      close: (connection, reason) => dispatcher.close(connection, reason),
      connectionClosed: (connection) => dispatcher.connectionClosed(connection),
    };
  }
}

/**
 * Creates (but does not start) a server: `await createServer(config).start()`. Its type keeps
 * the actions of `config.actions`, for a typed client (`createClient<typeof server>`).
 */
export function createServer<A extends ActionDefinition = ActionDefinition>(
  config: ActionwireConfig & { actions?: readonly A[] } = {},
): ActionwireServer<A> {
  return new ActionwireServer(config);
}
