/** Every server → client message has a `context` (PROTOCOL.md, "Server → client"). */
export interface ServerMessage {
  context: "response" | "api" | "user" | "alert";
  [key: string]: unknown;
}

/**
 * A server message built once and serialised once, however many connections it goes to.
 * Adapters that send text use {@link PreparedMessage.json}; adapters with their own encoding
 * (socket.io) read {@link PreparedMessage.payload} and {@link PreparedMessage.event}. Each form
 * is computed on first use from the other and then shared.
 */
export class PreparedMessage {
  #payload: Readonly<ServerMessage> | undefined;
  #json: string | undefined;

  private constructor(payload: ServerMessage | undefined, json: string | undefined) {
    this.#payload = payload;
    this.#json = json;
  }

  /** From a message object; serialised on first use of {@link PreparedMessage.json}. */
  static fromPayload(payload: ServerMessage): PreparedMessage {
    return new PreparedMessage(payload, undefined);
  }

  /** From JSON text that is known to encode a {@link ServerMessage}. */
  static fromJson(json: string): PreparedMessage {
    return new PreparedMessage(undefined, json);
  }

  get payload(): Readonly<ServerMessage> {
    this.#payload ??= JSON.parse(this.#json!) as ServerMessage;
    return this.#payload;
  }

  get json(): string {
    this.#json ??= JSON.stringify(this.#payload);
    return this.#json;
  }

  /**
   * The event name for transports that name their messages (socket.io): `response` for replies,
   * `say` for chat, `welcome` for the welcome push, `alert` for alerts, `api` for other pushes.
   */
  get event(): "response" | "say" | "welcome" | "alert" | "api" {
    const payload = this.payload;
    switch (payload.context) {
      case "response":
        return "response";
      case "user":
        return "say";
      case "alert":
        return "alert";
      default:
        return "welcome" in payload ? "welcome" : "api";
    }
  }
}
