import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";

/**
 * Calls `observer` with each upgrade request the server routes, claimed or not. An `upgrade`
 * listener added to the HTTP server after start would not do: actionwire routes it like the
 * application's own, so it sees only the upgrades no transport claimed.
 */
export function watchUpgrades(
  server: ActionwireServer,
  observer: (request: IncomingMessage, socket: Duplex) => void,
): void {
  const router = server.upgrades;
  const route = router.route.bind(router);
  router.route = (request, socket, head) => {
    observer(request, socket);
    return route(request, socket, head);
  };
}
