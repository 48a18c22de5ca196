import type { ActionwireConfig } from "../core/config.js";
import type { MessageInbox } from "../core/message-inbox.js";
import type { ActionwireServer } from "../server/actionwire-server.js";

/** A decoded server message. */
export type Message = Record<string, unknown> & { context?: string };

/**
 * One client of one transport, driven by the contract suite. Every method that sends puts
 * exactly one frame (message, emit, publish) on the wire, so the suite can predict
 * `messageCount`.
 */
export interface ContractClient {
  /** Every server message this client received (replies and pushes), in order. */
  readonly inbox: MessageInbox<Message>;
  /** The welcome push (the first message). */
  readonly welcome: Message;
  /** Sends a request with a fresh messageId and resolves with its reply. */
  request(event: string, params?: Record<string, unknown>): Promise<Message>;
  /** Sends one request as given (params and messageId may be invalid on purpose). */
  send(event: string, params?: unknown, messageId?: unknown): void;
  /** Sends one frame the transport delivers but that is not a valid request encoding. */
  sendMalformed(): void;
  /** Resolves when the server has closed this client (or it closed itself). */
  readonly closed: Promise<void>;
  /** Closes from the client side and waits until closed. */
  close(): Promise<void>;
}

/** How the contract suite reaches one transport (one kind of client). */
export interface ContractTransport {
  /** A label for the suite (`socketio (polling)`). */
  readonly label: string;
  /** The transport name connections report (`socketio`). */
  readonly transport: string;
  /**
   * The `remoteIP` its connections report: `"127.0.0.1"` (the default) for a client on the
   * loopback; what the transport reports otherwise (`"::1"`, or a Unix socket's path or label).
   */
  readonly remoteIP?: string;
  /** Config the server needs for this transport (its name in `transports`, options). */
  readonly serverConfig: ActionwireConfig;
  /** Connects a new client and resolves once its welcome arrived. */
  connect(server: ActionwireServer): Promise<ContractClient>;
}
