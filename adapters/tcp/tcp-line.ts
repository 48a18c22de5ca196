import { isPlainObject } from "../../src/core/inbound-request.js";

/** Verbs a text line may start with, and how their arguments become params. */
const TEXT_VERBS: Record<string, (args: string) => Record<string, unknown>> = {
  say: (args) => ({ message: args }),
  roomChange: (args) => ({ room: args }),
  listenToRoom: (args) => ({ room: args }),
  silenceRoom: (args) => ({ room: args }),
  setIP: (args) => ({ ip: args }),
  paramView: (args) => ({ key: args }),
  paramDelete: (args) => ({ key: args }),
  paramAdd: (args) => {
    const equals = args.indexOf("=");
    return equals === -1
      ? { key: args }
      : { key: args.slice(0, equals), value: args.slice(equals + 1) };
  },
  detailsView: () => ({}),
  roomView: () => ({}),
  paramsView: () => ({}),
  paramsDelete: () => ({}),
  documentation: () => ({}),
  quit: () => ({}),
  exit: () => ({}),
  close: () => ({}),
};

/** A line, understood: JSON text for the core to parse, or an already-decoded request. */
export type TcpLine = { json: string } | { request: Record<string, unknown> };

/**
 * Reads one line of the tcp protocol (PROTOCOL.md, "tcp"): a JSON request, actionHero's JSON
 * form `{"action": name, "params": {…}}`, a text verb with its arguments (`say hello there`,
 * `paramAdd key=value`), or an action name alone, which runs with the sticky params.
 */
export function readTcpLine(line: string): TcpLine {
  if (line.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { json: line }; // the core answers ERR_BAD_MESSAGE
    }
    if (isPlainObject(value) && !("event" in value) && typeof value.action === "string") {
      const params = isPlainObject(value.params) ? value.params : {};
      return {
        request: {
          event: "action",
          params: { ...params, action: value.action },
          messageId: value.messageId,
        },
      };
    }
    return { json: line };
  }
  const space = line.indexOf(" ");
  const word = space === -1 ? line : line.slice(0, space);
  const args = space === -1 ? "" : line.slice(space + 1).trim();
  // Own keys only: a first word such as "valueOf" or "__proto__" is an action name, not a verb.
  const verb = Object.hasOwn(TEXT_VERBS, word) ? TEXT_VERBS[word] : undefined;
  if (verb !== undefined) return { request: { event: word, params: verb(args) } };
  return { request: { event: "action", params: { action: word } } };
}
