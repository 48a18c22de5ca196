/**
 * A complete custom transport, written against actionwire's public API only: Server-Sent
 * Events for server → client, HTTP POST for client → server.
 *
 *   GET  /sse            opens the stream; the first event (`session`) carries the token
 *   POST /sse/<token>    one request (the JSON text of PROTOCOL.md), answered 202
 *
 * Every message of the protocol is an SSE `message` event whose data is the JSON text.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  BaseTransport,
  type Connection,
  type PreparedMessage,
  type TransportCapabilities,
  type TransportHost,
} from "actionwire";

/** One open event stream, with the token that lets its client post. */
interface Stream {
  response: ServerResponse;
  token: string;
}

export class SseTransport extends BaseTransport<Stream> {
  readonly name = "sse";
  readonly capabilities: TransportCapabilities = {
    nativeAcks: false,
    nativeBroadcast: false,
    binary: false,
    needsStickySessions: true, // the POSTs must reach the node holding the stream
    maxPayload: null,
  };
  readonly #byToken = new Map<string, Connection>();
  #path = "/sse";

  endpoint(baseUrl: string): string {
    return `${baseUrl}${this.#path}`;
  }

  protected async listen(host: TransportHost): Promise<void> {
    if (host.httpServer === null) throw new Error("the sse transport needs an HTTP server");
    host.requests.add(this.#path, (request, response) => {
      if (request.method === "GET" && request.url?.split("?")[0] === this.#path) {
        this.#open(request, response);
      } else if (request.method === "POST") {
        this.#post(request, response);
      } else {
        response.writeHead(405, { allow: "GET, POST" }).end();
      }
    });
  }

  protected write(stream: Stream, message: PreparedMessage): void {
    stream.response.write(`data: ${message.json}\n\n`);
  }

  protected terminate(stream: Stream): void {
    this.#byToken.delete(stream.token);
    stream.response.end();
  }

  protected async shutdown(): Promise<void> {
    this.host.requests.remove(this.#path);
  }

  #open(request: IncomingMessage, response: ServerResponse): void {
    const token = randomBytes(18).toString("base64url"); // a credential: never shown to others
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    response.write(`event: session\ndata: ${token}\n\n`);
    const { ip, port } = this.host.remoteAddress(request);
    const connection = this.accept(
      { response, token },
      { remoteIP: ip, remotePort: port, request },
    );
    this.#byToken.set(token, connection);
    response.on("close", () => {
      this.#byToken.delete(token);
      this.release(connection);
    });
  }

  #post(request: IncomingMessage, response: ServerResponse): void {
    const token = request.url!.slice(this.#path.length + 1).split("?")[0]!;
    const connection = this.#byToken.get(token);
    if (connection === undefined) {
      request.resume();
      response.writeHead(404).end();
      return;
    }
    const limit = this.host.config.limits.maxMessageBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on("end", () => {
      response.writeHead(202).end();
      if (size > limit) this.host.frameTooLarge(connection);
      else this.host.receiveText(connection, Buffer.concat(chunks).toString("utf8"));
    });
  }
}
