import type * as OtelApi from "@opentelemetry/api";
import type { ResolvedConfig } from "../core/config.js";
import { ActionwireError } from "../core/errors.js";
import {
  registerSpanHooks,
  type SpanHooks,
  type SpanRequest,
  type TraceCarrier,
} from "../core/instrumentation.js";
import { loadPackage } from "../core/load-package.js";
import { packageVersion } from "../core/package-version.js";

type Api = typeof OtelApi;

/** `version-traceid-spanid-flags` (W3C Trace Context, level 1; later versions may add fields). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * OpenTelemetry spans (`config.tracing`) through `@opentelemetry/api`, an optional peer: a
 * span per action and per `say`, the child of the W3C trace context the client sent
 * (`traceparent`), and, on the nodes that deliver a room message or run a command sent in a
 * traced context, a consumer span whose parent is the sender's. The API records nothing
 * until the application registers an SDK (a tracer provider). W3C Trace Context is read and
 * written here, not through the global propagator, so it works whatever propagator the
 * application chose for its own HTTP.
 */
export class Tracing {
  #unregister: (() => void) | undefined;

  constructor(private readonly config: ResolvedConfig) {}

  /** Loads the API and plugs the span hooks into the core for this node. */
  async start(): Promise<void> {
    const loaded = await loadPackage<Api & { default?: Api }>(
      "@opentelemetry/api",
      "tracing",
      "config.tracing",
    );
    const api =
      loaded.trace === undefined && loaded.default !== undefined ? loaded.default : loaded;
    const version = packageVersion("actionwire", import.meta.url);
    const hooks = spanHooks(api, this.config, version === "unknown" ? undefined : version);
    this.#unregister = registerSpanHooks(this.config.nodeId, hooks);
  }

  /** Takes the hooks out: this node's work is no longer traced. */
  stop(): void {
    this.#unregister?.();
    this.#unregister = undefined;
  }
}

function spanHooks(api: Api, config: ResolvedConfig, version: string | undefined): SpanHooks {
  const { context, trace, SpanKind, SpanStatusCode } = api;
  const tracer = trace.getTracer("actionwire", version);
  const node = config.nodeId;
  // The SDK only reads its options: one object per kind serves every span.
  const server: OtelApi.SpanOptions = Object.freeze({ kind: SpanKind.SERVER });
  const consumer: OtelApi.SpanOptions = Object.freeze({ kind: SpanKind.CONSUMER });
  /**
   * The attributes are set as the span ends, in one `setAttributes` and two `setAttribute`
   * calls: the SDK checks them once there, where `startSpan`'s attributes are copied and
   * checked twice before the span's own check (and nothing here needs them to sample).
   */
  const end = (span: OtelApi.Span, request: SpanRequest, error: unknown) => {
    span.setAttributes(request.attributes);
    span.setAttribute("actionwire.node", node);
    if (error === undefined) {
      span.setAttribute("actionwire.outcome", "ok");
    } else {
      const code = error instanceof ActionwireError ? error.code : "ERR_ACTION_FAILED";
      span.setAttribute("actionwire.outcome", "error");
      span.setAttribute("actionwire.error_code", code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    }
    span.end();
  };
  return {
    inSpan<T>(request: SpanRequest, work: () => T): T {
      const active = context.active();
      const parent =
        request.parent === undefined ? active : withRemoteParent(api, active, request.parent);
      const span = tracer.startSpan(
        request.name,
        request.kind === "server" ? server : consumer,
        parent,
      );
      let result: T;
      try {
        result = context.with(trace.setSpan(parent, span), work);
      } catch (error) {
        end(span, request, error);
        throw error;
      }
      if (result instanceof Promise) {
        result.then(
          () => end(span, request, undefined),
          (error: unknown) => end(span, request, error ?? new Error("rejected")),
        );
      } else {
        end(span, request, undefined);
      }
      return result;
    },
    carrier(): TraceCarrier | undefined {
      const spanContext = trace.getSpanContext(context.active());
      if (spanContext === undefined || !api.isSpanContextValid(spanContext)) return undefined;
      const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
      const carrier: TraceCarrier = {
        traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
      };
      const state = spanContext.traceState?.serialize();
      if (state !== undefined && state !== "") carrier.tracestate = state;
      return carrier;
    },
  };
}

/** `base` with the carrier's span as the (remote) parent; `base` itself if it is not valid. */
function withRemoteParent(api: Api, base: OtelApi.Context, carrier: TraceCarrier): OtelApi.Context {
  const match = TRACEPARENT.exec(carrier.traceparent ?? "");
  if (match === null || match[1] === "ff" || (match[1] === "00" && match[5] !== undefined)) {
    return base;
  }
  const spanContext: OtelApi.SpanContext = {
    traceId: match[2]!,
    spanId: match[3]!,
    traceFlags: parseInt(match[4]!, 16) & 0xff,
    isRemote: true,
  };
  if (!api.isSpanContextValid(spanContext)) return base;
  if (typeof carrier.tracestate === "string" && carrier.tracestate !== "") {
    spanContext.traceState = api.createTraceState(carrier.tracestate);
  }
  return api.trace.setSpanContext(base, spanContext);
}
