import { once } from "node:events";
import { WebSocketServer, type WebSocket } from "ws";

/** A room push's position, as the protocol's "Room positions" section gives it. */
interface Position {
  epoch: string;
  offset: number;
}

/** A session as the fake server keeps it. */
interface FakeSession {
  id: string;
  token: string;
  room: string | null;
  listening: Set<string>;
  /** Replies by messageId: a request re-sent after a resume is answered from here. */
  replies: Map<string, Record<string, unknown>>;
  /** messageIds of requests still running (held actions). */
  running: Set<string>;
  /** Its alerts, numbered by `seq` from 1. */
  alerts: Array<Record<string, unknown>>;
  socket: ServerSocket | undefined;
}

/** One socket the server accepted: its upgrade URL and every frame it sent, in order. */
export interface ServerSocket {
  readonly url: string;
  readonly frames: Array<Record<string, unknown>>;
  readonly ws: WebSocket;
  session: FakeSession | undefined;
}

/** What the welcome of the next resume says, to test a refusal or a lost history. */
export interface ResumeVerdict {
  resumed?: boolean;
  reason?: string;
  refused?: string[];
}

/**
 * A small server that speaks the resume extension of the protocol (docs/protocol.md,
 * "Sessions and resume") over a real `ws` socket on 127.0.0.1, port 0, for the client's tests
 * before (and beside) the real server: hello and welcome with a session, room pushes with
 * offsets and an epoch, the replay after a resume, recorded replies answered once. Without
 * `hello=1` it speaks version 1: the welcome at once. Verbs: detailsView, roomChange,
 * listenToRoom, silenceRoom, say, and the actions `echo`, `hold` (answered by
 * {@link ResumeWsServer.release}) and `replyLost` (answered and recorded, but the socket is
 * dropped before the reply goes out).
 */
export class ResumeWsServer {
  readonly sockets: ServerSocket[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly rooms = new Map<string, { epoch: string; pushes: Array<Record<string, unknown>> }>();
  /** How many times each action request (by messageId) ran. */
  readonly runs = new Map<string, number>();
  /** Rooms a join or a listen is refused for. */
  readonly refuse = new Set<string>();
  /** The next resume's welcome says this instead of resuming normally. */
  verdict: ResumeVerdict | undefined;
  /** The replay starts this many pushes early: a duplicate the client must drop. */
  replayOverlap = 0;
  #nextId = 0;

  private constructor(private readonly wss: WebSocketServer) {
    wss.on("connection", (ws, request) => this.#accept(ws, request.url ?? "/"));
  }

  static async start(): Promise<ResumeWsServer> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/ws" });
    await once(wss, "listening");
    return new ResumeWsServer(wss);
  }

  get url(): string {
    const { port } = this.wss.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  /** The latest socket. */
  get last(): ServerSocket {
    return this.sockets.at(-1)!;
  }

  /** Resolves once `count` sockets have sent their hello (or, in version 1, connected). */
  async welcomed(count: number): Promise<void> {
    while (this.sockets.filter((s) => s.session !== undefined).length < count) {
      await once(this.wss, "welcomed");
    }
  }

  /** Pushes a chat message to `room`, with the room's next position, to every session hearing it. */
  say(room: string, message: string, from = "server"): Record<string, unknown> {
    const history = this.#room(room);
    const push = {
      context: "user",
      message,
      room,
      from,
      sentAt: Date.now(),
      offset: history.pushes.length + 1,
      epoch: history.epoch,
    };
    history.pushes.push(push);
    for (const session of this.sessions.values()) {
      if (session.room === room || session.listening.has(room))
        session.socket?.ws.send(JSON.stringify(push));
    }
    return push;
  }

  /** Alerts a session: numbered, kept, and sent if it has a socket. */
  alert(sessionId: string, message: string): void {
    const session = this.sessions.get(sessionId)!;
    const alert = { context: "alert", message, seq: session.alerts.length + 1 };
    session.alerts.push(alert);
    session.socket?.ws.send(JSON.stringify(alert));
  }

  /** Answers a held action: the session's current socket gets the reply. */
  release(messageId: string): void {
    for (const session of this.sessions.values()) {
      if (!session.running.delete(messageId)) continue;
      const reply = { context: "response", messageId, done: true };
      session.replies.set(messageId, reply);
      session.socket?.ws.send(JSON.stringify(reply));
    }
  }

  /** Drops every socket at once, as a network cut would (no goodbye, no close handshake). */
  dropAll(): void {
    for (const socket of this.sockets) socket.ws.terminate();
  }

  /** Sends the goodbye `server shutdown` with a `reconnectAfterMs`, then closes every socket. */
  shutdown(reconnectAfterMs: number): void {
    const bye = { context: "api", status: "Bye!", reason: "server shutdown", reconnectAfterMs };
    for (const socket of this.sockets) {
      socket.ws.send(JSON.stringify(bye));
      socket.ws.close(1001);
    }
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  #accept(ws: WebSocket, url: string): void {
    const socket: ServerSocket = { url, frames: [], ws, session: undefined };
    this.sockets.push(socket);
    const hello = new URL(url, "http://localhost").searchParams.get("hello") === "1";
    if (!hello) this.#welcome(socket, this.#newSession(), undefined);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      socket.frames.push(frame);
      if (socket.session === undefined) {
        if (frame.event !== "hello") {
          ws.send(JSON.stringify({ context: "api", status: "Bye!", reason: "bad hello" }));
          ws.close();
          return;
        }
        this.#hello(socket, (frame.params ?? {}) as Record<string, unknown>);
        return;
      }
      this.#request(socket, frame);
    });
    ws.on("close", () => {
      if (socket.session?.socket === socket) socket.session.socket = undefined;
    });
  }

  #hello(socket: ServerSocket, params: Record<string, unknown>): void {
    const resume = params.resume as
      | { session: string; token: string; rooms: Record<string, Position>; alerts?: number }
      | undefined;
    const found = resume === undefined ? undefined : this.sessions.get(resume.session);
    const verdict = this.verdict;
    this.verdict = undefined;
    if (
      resume === undefined ||
      found === undefined ||
      found.token !== resume.token ||
      verdict?.resumed === false
    ) {
      const reason = verdict?.reason ?? (resume === undefined ? undefined : "expired");
      this.#welcome(socket, this.#newSession(), {
        resumed: false,
        recovered: false,
        reason,
        rooms: {},
      });
      return;
    }
    const rooms: Record<string, Record<string, unknown>> = {};
    const replay: Array<Record<string, unknown>> = [];
    for (const refused of verdict?.refused ?? []) {
      if (found.room === refused) found.room = null;
      found.listening.delete(refused);
    }
    for (const [room, position] of Object.entries(resume.rooms)) {
      if (verdict?.refused?.includes(room)) {
        rooms[room] = { recovered: false, refused: true };
        continue;
      }
      const history = this.#room(room);
      if (history.epoch !== position.epoch) {
        rooms[room] = { recovered: false };
        continue;
      }
      const from = Math.max(0, position.offset - this.replayOverlap);
      const missed = history.pushes.slice(from);
      rooms[room] = { recovered: true, missed: history.pushes.length - position.offset };
      replay.push(...missed);
    }
    const after = resume.alerts ?? 0;
    replay.push(...found.alerts.slice(Math.max(0, after - this.replayOverlap)));
    const alerts = { recovered: true, missed: found.alerts.length - after };
    const recovered = Object.values(rooms).every((room) => room.recovered === true);
    this.#welcome(socket, found, { resumed: true, recovered, rooms, alerts });
    for (const push of replay) socket.ws.send(JSON.stringify(push));
  }

  #welcome(
    socket: ServerSocket,
    session: FakeSession,
    outcome: Record<string, unknown> | undefined,
  ): void {
    session.token = `token-${++this.#nextId}`;
    session.socket = socket;
    socket.session = session;
    const welcome: Record<string, unknown> = {
      context: "api",
      welcome: "Hello! Welcome to the fake api",
      room: session.room,
    };
    if (outcome !== undefined) {
      welcome.id = session.id;
      const { reason, ...rest } = outcome;
      welcome.session = {
        token: session.token,
        ...rest,
        ...(reason === undefined ? {} : { reason }),
      };
    }
    socket.ws.send(JSON.stringify(welcome));
    this.wss.emit("welcomed");
  }

  #newSession(): FakeSession {
    const session: FakeSession = {
      id: `session-${++this.#nextId}`,
      token: "",
      room: "lobby",
      listening: new Set(),
      replies: new Map(),
      running: new Set(),
      alerts: [],
      socket: undefined,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  #request(socket: ServerSocket, frame: Record<string, unknown>): void {
    const session = socket.session!;
    const messageId = frame.messageId as string;
    const params = (frame.params ?? {}) as Record<string, unknown>;
    const reply = (body: Record<string, unknown>) => {
      const message = { context: "response", messageId, ...body };
      session.replies.set(messageId, message);
      socket.ws.send(JSON.stringify(message));
    };
    const recorded = session.replies.get(messageId);
    if (recorded !== undefined) {
      socket.ws.send(JSON.stringify(recorded));
      return;
    }
    if (session.running.has(messageId)) return;
    const room = String(params.room);
    switch (frame.event) {
      case "detailsView":
        reply({
          data: { id: session.id, room: session.room, listeningRooms: [...session.listening] },
        });
        return;
      case "roomChange":
        if (this.refuse.has(room)) {
          reply({ error: "not authorized to join room", code: "ERR_NOT_AUTHORIZED" });
          return;
        }
        session.room = room;
        session.listening.delete(room);
        reply({ status: "OK" });
        return;
      case "listenToRoom":
        if (this.refuse.has(room)) {
          reply({ error: "not authorized to listen to room", code: "ERR_NOT_AUTHORIZED" });
          return;
        }
        session.listening.add(room);
        reply({ status: "OK" });
        return;
      case "silenceRoom":
        session.listening.delete(room);
        reply({ status: "OK" });
        return;
      case "action": {
        this.runs.set(messageId, (this.runs.get(messageId) ?? 0) + 1);
        if (params.action === "hold") {
          session.running.add(messageId);
        } else if (params.action === "replyLost") {
          session.replies.set(messageId, { context: "response", messageId, lost: "found" });
          socket.ws.terminate();
        } else {
          reply({ echo: params.value ?? null });
        }
        return;
      }
      default:
        reply({ error: `${String(frame.event)} is not a known verb`, code: "ERR_UNKNOWN_VERB" });
    }
  }

  #room(room: string): { epoch: string; pushes: Array<Record<string, unknown>> } {
    let history = this.rooms.get(room);
    if (history === undefined) {
      history = { epoch: `epoch-${room}`, pushes: [] };
      this.rooms.set(room, history);
    }
    return history;
  }
}
