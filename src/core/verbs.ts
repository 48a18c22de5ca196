/** Every verb a client may send (PROTOCOL.md, "Client → server"). */
export const VERBS = [
  "action",
  "say",
  "roomView",
  "roomChange",
  "listenToRoom",
  "silenceRoom",
  "detailsView",
  "setIP",
  "paramAdd",
  "paramView",
  "paramsView",
  "paramDelete",
  "paramsDelete",
  "documentation",
  "quit",
  "exit",
  "close",
] as const;

/** One of {@link VERBS}. */
export type Verb = (typeof VERBS)[number];

const verbSet: ReadonlySet<string> = new Set(VERBS);

export function isVerb(name: string): name is Verb {
  return verbSet.has(name);
}
