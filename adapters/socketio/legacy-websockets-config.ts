import { ConfigError } from "../../src/core/errors.js";
import type { LegacyTranslation } from "../../src/core/config.js";

/** What each 0.9 `settings` entry (an `io.enable` key) becomes in socket.io 4. */
const SETTINGS: Record<string, { options?: Record<string, unknown>; warning?: string }> = {
  "browser client": { options: { serveClient: true } },
  "browser client minification": {
    warning: "socket.io 4 always serves a minified client (/socket.io/socket.io.min.js)",
  },
  "browser client etag": { warning: "socket.io 4 always sends an ETag for its client" },
  "browser client gzip": {
    warning: "socket.io 4 does not compress its client; compress in a proxy in front",
  },
};

/** 0.9 transport names → socket.io 4 engine transports (`null`: none left). */
const TRANSPORTS: Record<string, "websocket" | "polling" | null> = {
  websocket: "websocket",
  "xhr-polling": "polling",
  "jsonp-polling": "polling",
  htmlfile: "polling",
  flashsocket: null,
};

/** 0.9 options (`io.set` keys) with no socket.io 4 meaning, and why. */
const IGNORED_OPTIONS: Record<string, string> = {
  "log level": "socket.io 4 logs through DEBUG=socket.io:*",
  "close timeout": "socket.io 4 closes after pingInterval + pingTimeout without a pong",
  "destroy upgrade": "actionwire routes every upgrade by path itself",
  "destroy buffer size": "the frame limit is limits.maxMessageBytes",
  "match origin protocol": "socket.io 4 checks origins through socketio.cors",
  "flash policy port": "socket.io 4 has no Flash transport",
  "flash policy server": "socket.io 4 has no Flash transport",
  store: "clustering is the Redis cluster bus (config.redis), not a socket.io store",
};

/**
 * Translates the seeds' `webSockets: { enable, logLevel, settings, options }` block (socket.io
 * 0.9's `io.enable(key)` and `io.set(key, value)`) into socket.io 4 options. What still has a
 * meaning is translated; what has none is a warning that names it; what is unknown is an error.
 */
export function translateWebSocketsConfig(raw: unknown): LegacyTranslation {
  const where = "config.webSockets";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${where} must be an object ({ enable, logLevel, settings, options }).`);
  }
  const block = raw as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const key of Object.keys(block)) {
    if (!["enable", "logLevel", "settings", "options"].includes(key)) {
      throw new ConfigError(
        `${where}.${key} is not a known option; remove it or check its spelling.`,
      );
    }
  }
  const enable = block.enable ?? true;
  if (typeof enable !== "boolean") throw new ConfigError(`${where}.enable must be a boolean.`);
  if (block.logLevel !== undefined) {
    warnings.push(`${where}.logLevel is ignored: socket.io 4 logs through DEBUG=socket.io:*.`);
  }

  const settings = block.settings ?? [];
  if (!Array.isArray(settings) || settings.some((s) => typeof s !== "string")) {
    throw new ConfigError(`${where}.settings must be a list of setting names.`);
  }
  for (const setting of settings as string[]) {
    const meaning = Object.hasOwn(SETTINGS, setting) ? SETTINGS[setting] : undefined;
    if (meaning === undefined) {
      throw new ConfigError(
        `${where}.settings has "${setting}", which socket.io 4 has no equivalent for; remove it.`,
      );
    }
    Object.assign(options, meaning.options);
    if (meaning.warning)
      warnings.push(`${where}.settings "${setting}" is ignored: ${meaning.warning}.`);
  }

  const legacy = block.options ?? {};
  if (typeof legacy !== "object" || legacy === null || Array.isArray(legacy)) {
    throw new ConfigError(`${where}.options must be an object of socket.io 0.9 options.`);
  }
  for (const [key, value] of Object.entries(legacy as Record<string, unknown>)) {
    const at = `${where}.options["${key}"]`;
    const seconds = () => {
      if (typeof value !== "number" || !(value > 0)) {
        throw new ConfigError(`${at} must be a number of seconds greater than 0.`);
      }
      return Math.round(value * 1000);
    };
    switch (key) {
      case "transports":
        options.transports = translateTransports(at, value, warnings);
        break;
      case "polling duration":
        // socket.io 4 answers an idle long-poll when the next ping is due.
        options.pingInterval = seconds();
        break;
      case "heartbeat interval":
        options.pingInterval = seconds();
        break;
      case "heartbeat timeout":
        options.pingTimeout = seconds();
        break;
      case "resource":
        if (typeof value !== "string") throw new ConfigError(`${at} must be a path string.`);
        options.path = value.startsWith("/") ? value : `/${value}`;
        break;
      case "origins":
        if (value === "*:*" || value === "*") options.cors = { origin: "*" };
        else
          throw new ConfigError(
            `${at}: write it as socketio.cors.origin (a URL or a list of URLs).`,
          );
        break;
      default:
        if (key === "browser client" && typeof value === "boolean") {
          options.serveClient = value;
        } else if (Object.hasOwn(SETTINGS, key)) {
          Object.assign(options, SETTINGS[key]!.options);
          if (SETTINGS[key]!.warning) warnings.push(`${at} is ignored: ${SETTINGS[key]!.warning}.`);
        } else if (Object.hasOwn(IGNORED_OPTIONS, key)) {
          warnings.push(`${at} is ignored: ${IGNORED_OPTIONS[key]}.`);
        } else {
          throw new ConfigError(`${at} is not a socket.io option actionwire knows; remove it.`);
        }
    }
  }
  return { enable, options, warnings };
}

function translateTransports(at: string, value: unknown, warnings: string[]): string[] {
  if (!Array.isArray(value) || value.some((t) => typeof t !== "string")) {
    throw new ConfigError(`${at} must be a list of transport names.`);
  }
  const out = new Set<string>();
  for (const name of value as string[]) {
    if (!Object.hasOwn(TRANSPORTS, name)) {
      throw new ConfigError(
        `${at} has "${name}"; use websocket, xhr-polling, jsonp-polling, htmlfile or flashsocket.`,
      );
    }
    const translated = TRANSPORTS[name];
    if (translated === null)
      warnings.push(`${at} "${name}" is ignored: socket.io 4 has no Flash transport.`);
    else out.add(translated!);
  }
  if (out.size === 0) throw new ConfigError(`${at} leaves no transport socket.io 4 can use.`);
  return [...out];
}
