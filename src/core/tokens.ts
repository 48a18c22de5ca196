/**
 * The dependency-injection tokens of a server's container (one child container per server).
 *
 * Low-level, for an adapter class built by the container (`@inject(TOKENS.Logger)`); most
 * adapters need none, since `host` brings the config and the logger at `start`. `Config`,
 * `Logger` and `ClusterBus` resolve public types; the other tokens resolve core internals whose
 * shape may change in any release.
 */
export const TOKENS = {
  Config: Symbol.for("actionwire.Config"),
  Logger: Symbol.for("actionwire.Logger"),
  ClusterBus: Symbol.for("actionwire.ClusterBus"),
  ConnectionTable: Symbol.for("actionwire.ConnectionTable"),
  RoomHooks: Symbol.for("actionwire.RoomHooks"),
  RoomManager: Symbol.for("actionwire.RoomManager"),
  ActionRegistry: Symbol.for("actionwire.ActionRegistry"),
  ActionMiddleware: Symbol.for("actionwire.ActionMiddleware"),
  RemoteControl: Symbol.for("actionwire.RemoteControl"),
  SessionStore: Symbol.for("actionwire.SessionStore"),
  Dispatcher: Symbol.for("actionwire.Dispatcher"),
  TransportRegistry: Symbol.for("actionwire.TransportRegistry"),
} as const;
