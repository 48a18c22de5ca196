import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ActionwireConfig } from "../../src/core/config.js";

/** What a {@link ServerProcess} reports about itself. */
export interface ServerFigures {
  /** Resident set size of the server's process, in bytes, right after a full GC. */
  rss: number;
  /** V8 heap in use, in bytes, right after a full GC. */
  heapUsed: number;
  /** Connections on the server. */
  connections: number;
}

/** A message from the test process to the server process. */
export type ServerProcessRequest = { kind: "figures" } | { kind: "stop" };

/** A message from the server process: its URL once started, then one answer per request. */
export type ServerProcessMessage =
  | { kind: "started"; url: string }
  | { kind: "figures"; figures: ServerFigures }
  | { kind: "stopped" };

/**
 * A demo server in a process of its own (`server-process-main.js`, forked), so that what it
 * measures of itself, its memory above all, holds nothing of the clients the test runs. Its
 * config must survive JSON (no functions).
 */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  private constructor(
    child: ChildProcess,
    readonly url: string,
  ) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static async start(config: ActionwireConfig = {}): Promise<ServerProcess> {
    const script = fileURLToPath(new URL("./server-process-main.js", import.meta.url));
    const child = fork(script, [JSON.stringify(config)], {
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const started = await reply(child, "started");
    return new ServerProcess(child, started.url);
  }

  /** The server's memory and connection count, measured in its process. */
  async figures(): Promise<ServerFigures> {
    this.#child.send({ kind: "figures" } satisfies ServerProcessRequest);
    return (await reply(this.#child, "figures")).figures;
  }

  /** Kills the process (SIGKILL: no goodbye, nothing written) and waits for its exit. */
  async kill(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    this.#child.kill("SIGKILL");
    await this.#exited;
  }

  /** Stops the server gracefully and waits for its process to exit. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || !this.#child.connected) return;
    this.#child.send({ kind: "stop" } satisfies ServerProcessRequest);
    await this.#exited;
  }
}

/** The next message of this kind from the child; rejects if the child exits first. */
function reply<K extends ServerProcessMessage["kind"]>(
  child: ChildProcess,
  kind: K,
): Promise<Extract<ServerProcessMessage, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ServerProcessMessage) => {
      if (message.kind !== kind) return;
      child.off("exit", onExit);
      child.off("message", onMessage);
      resolve(message as Extract<ServerProcessMessage, { kind: K }>);
    };
    const onExit = (code: number | null) => {
      child.off("message", onMessage);
      reject(new Error(`the server process exited (${code}) before answering ${kind}`));
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}
