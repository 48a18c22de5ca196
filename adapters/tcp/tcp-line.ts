import { isPlainObject } from "../../src/core/inbound-request.js";
import { isVerb, VERB_PARAMS, type Verb, type VerbParam } from "../../src/core/verbs.js";

/**
 * The params of a text verb line (`say hello there`, `paramAdd key=value`), from the verb's
 * declared params: the rest of the line is its first param; a verb with a second param takes
 * `first=second`.
 */
function textParams(verb: Verb, args: string): Record<string, unknown> {
  const [first, second] = VERB_PARAMS[verb] as readonly VerbParam[];
  if (first === undefined) return {};
  const equals = second === undefined ? -1 : args.indexOf("=");
  if (equals === -1) return { [first.name]: args };
  return { [first.name]: args.slice(0, equals), [second!.name]: args.slice(equals + 1) };
}

/** A line, understood: JSON text for the core to parse, or an already-decoded request. */
export type TcpLine = { json: string } | { request: Record<string, unknown> };

/**
 * Reads one line of the tcp protocol (PROTOCOL.md, "tcp"): a JSON request, actionHero's JSON
 * form `{"action": name, "params": {…}}`, a text verb with its arguments (`say hello there`,
 * `paramAdd key=value`), a hello (`hello {"auth":…}`), or an action name alone, which runs with
 * the sticky params.
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
  // `hello <json params>` (docs/protocol.md, "The hello"): the params are JSON text.
  if (word === "hello") return { json: `{"event":"hello","params":${args === "" ? "{}" : args}}` };
  // `action` is not a text verb: a line of one word is an action name ("action" included).
  if (isVerb(word) && word !== "action") {
    return { request: { event: word, params: textParams(word, args) } };
  }
  return { request: { event: "action", params: { action: word } } };
}
