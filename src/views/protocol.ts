// The views' JSON-RPC engine: what ext-apps' `App` extends in place of the client package's
// `Protocol`. scripts/build-views.mjs resolves "@modelcontextprotocol/client" to this file for
// the views only; the server and the tests use the real package.
//
// Why: the client package's Protocol carries both wire eras' codecs and every spec schema
// (~160 KB of its 285 KB minified bundle, and zod's JSON Schema converters behind them), which
// put each view at ~98 KB gzipped. A view speaks JSON-RPC to its host over postMessage and needs
// requests, notifications, handlers, cancellation and timeouts — this, in ~5 KB.
//
// What `App` relies on, kept as the real Protocol does it: setRequestHandler/
// setNotificationHandler in both forms (handler alone gets the whole message; `{ params }`
// schemas validate the params and hand the handler the parsed params), request() with or without
// a result schema and with signal/timeout/onprogress options, the capability hooks App
// implements (assertCapabilityForMethod, assertNotificationCapability,
// assertRequestHandlerCapability), `transport`, `onclose`, `onerror`, connect() and close().
// What it leaves out: era codecs (the host's AppBridge speaks one dialect), result validation of
// spec methods by method name (a view renders what it gets as text nodes), tasks.

const JSONRPC = "2.0";
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;
const CONNECTION_CLOSED = -32000;
const REQUEST_TIMEOUT = -32001;
/** As the client package's DEFAULT_REQUEST_TIMEOUT_MSEC. */
const DEFAULT_TIMEOUT_MS = 60_000;

type Id = string | number;
type Params = Record<string, unknown> & { _meta?: Record<string, unknown> };

interface Message {
  jsonrpc: typeof JSONRPC;
  id?: Id;
  method?: string;
  params?: Params;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

interface Transport {
  start(): Promise<void>;
  send(message: Message): Promise<void>;
  close(): Promise<void>;
  onmessage?: (message: Message) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
}

/** A Standard Schema (zod's schemas are): validate() answers the value or the issues. */
interface StandardSchema {
  "~standard": {
    validate(value: unknown): StandardResult | Promise<StandardResult>;
  };
}
type StandardResult = { value: unknown; issues?: undefined } | { issues: readonly { message: string }[] };

interface RequestOptions {
  signal?: AbortSignal;
  timeout?: number;
  onprogress?: (progress: Params) => void;
  resetTimeoutOnProgress?: boolean;
}

interface HandlerContext {
  mcpReq: {
    id: Id;
    method: string;
    signal: AbortSignal;
    _meta: Params["_meta"];
    send: Protocol["request"];
    notify: Protocol["notification"];
  };
}
type RequestHandler = (request: Message, context: HandlerContext) => unknown;
type NotificationHandler = (notification: Message) => unknown;
type Schemas = { params?: StandardSchema };
/** The `{ params }` form's handler: the parsed params, then the context or the notification. */
type ParamsHandler = (params: unknown, extra: unknown) => unknown;

interface Pending {
  settle(response: Message): void;
  fail(error: Error): void;
  progressed(progress: Params): void;
}

export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

function isStandardSchema(value: unknown): value is StandardSchema {
  return typeof value === "object" && value !== null && "~standard" in value;
}

async function validated(schema: StandardSchema | undefined, value: unknown, what: string): Promise<unknown> {
  if (!schema) return value;
  const outcome = await schema["~standard"].validate(value);
  if (!outcome.issues) return outcome.value;
  throw new ProtocolError(
    INVALID_PARAMS,
    `${what}: ${outcome.issues.map((issue) => issue.message).join("; ")}`,
  );
}

export abstract class Protocol {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  #transport: Transport | undefined;
  #nextId = 0;
  readonly #pending = new Map<Id, Pending>();
  readonly #running = new Map<Id, AbortController>();
  readonly #requestHandlers = new Map<string, RequestHandler>();
  readonly #notificationHandlers = new Map<string, NotificationHandler>();

  constructor(_options?: unknown) {
    this.#notificationHandlers.set("notifications/cancelled", ({ params }) =>
      this.#running.get(params?.requestId as Id)?.abort(params?.reason),
    );
    this.#notificationHandlers.set("notifications/progress", ({ params }) =>
      this.#pending.get(params?.progressToken as Id)?.progressed(params ?? {}),
    );
  }

  protected abstract assertCapabilityForMethod(method: string): void;
  protected abstract assertNotificationCapability(method: string): void;
  protected abstract assertRequestHandlerCapability(method: string): void;

  get transport(): Transport | undefined {
    return this.#transport;
  }

  async connect(transport: Transport): Promise<void> {
    this.#transport = transport;
    const { onclose, onerror, onmessage } = transport;
    transport.onclose = () => {
      onclose?.();
      this.#closed();
    };
    transport.onerror = (error) => {
      onerror?.(error);
      this.onerror?.(error);
    };
    transport.onmessage = (message) => {
      onmessage?.(message);
      this.#receive(message);
    };
    await transport.start();
  }

  async close(): Promise<void> {
    await this.#transport?.close();
  }

  request(
    request: { method: string; params?: Params },
    schemaOrOptions?: unknown,
    maybeOptions?: RequestOptions,
  ) {
    const [schema, options] = isStandardSchema(schemaOrOptions)
      ? [schemaOrOptions, maybeOptions]
      : [undefined, schemaOrOptions as RequestOptions | undefined];
    this.assertCapabilityForMethod(request.method);
    const transport = this.#requireTransport();
    const id = this.#nextId++;
    const params = options?.onprogress
      ? { ...request.params, _meta: { ...request.params?._meta, progressToken: id } }
      : request.params;
    return new Promise<unknown>((resolve, reject) => {
      const timeoutMs = options?.timeout ?? DEFAULT_TIMEOUT_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const startTimer = () => {
        clearTimeout(timer);
        timer = setTimeout(() => cancel(new ProtocolError(REQUEST_TIMEOUT, "Request timed out")), timeoutMs);
      };
      const finish = () => {
        clearTimeout(timer);
        this.#pending.delete(id);
        options?.signal?.removeEventListener("abort", onAbort);
      };
      const fail = (error: Error) => {
        finish();
        reject(error);
      };
      const cancel = (reason: Error) => {
        fail(reason);
        const cancelled = { requestId: id, reason: String(reason.message) };
        void transport
          .send({ jsonrpc: JSONRPC, method: "notifications/cancelled", params: cancelled })
          .catch(() => {});
      };
      const onAbort = () =>
        cancel(options?.signal?.reason instanceof Error ? options.signal.reason : new Error("Aborted"));
      this.#pending.set(id, {
        settle: ({ result, error }) => {
          finish();
          if (error) return reject(new ProtocolError(error.code, error.message, error.data));
          validated(schema, result, `Invalid result for ${request.method}`).then(resolve, reject);
        },
        fail,
        progressed: (progress) => {
          options?.onprogress?.(progress);
          if (options?.resetTimeoutOnProgress) startTimer();
        },
      });
      if (options?.signal?.aborted) return onAbort();
      options?.signal?.addEventListener("abort", onAbort, { once: true });
      startTimer();
      transport.send({ jsonrpc: JSONRPC, id, method: request.method, params }).catch(fail);
    });
  }

  async notification(notification: { method: string; params?: Params }): Promise<void> {
    this.assertNotificationCapability(notification.method);
    await this.#requireTransport().send({ jsonrpc: JSONRPC, ...notification });
  }

  setRequestHandler(
    method: string,
    schemasOrHandler: Schemas | RequestHandler,
    maybeHandler?: ParamsHandler,
  ): void {
    this.assertRequestHandlerCapability(method);
    this.#requestHandlers.set(
      method,
      typeof schemasOrHandler === "function"
        ? schemasOrHandler
        : async (request, context) =>
            maybeHandler?.(
              await validated(schemasOrHandler.params, { ...request.params }, `Invalid params for ${method}`),
              context,
            ),
    );
  }

  removeRequestHandler(method: string): void {
    this.#requestHandlers.delete(method);
  }

  assertCanSetRequestHandler(method: string): void {
    if (this.#requestHandlers.has(method)) throw new Error(`A request handler for ${method} already exists`);
  }

  setNotificationHandler(
    method: string,
    schemasOrHandler: Schemas | NotificationHandler,
    maybeHandler?: ParamsHandler,
  ): void {
    this.#notificationHandlers.set(
      method,
      typeof schemasOrHandler === "function"
        ? schemasOrHandler
        : async (notification) =>
            maybeHandler?.(
              await validated(
                schemasOrHandler.params,
                { ...notification.params },
                `Invalid params for ${method}`,
              ),
              notification,
            ),
    );
  }

  removeNotificationHandler(method: string): void {
    this.#notificationHandlers.delete(method);
  }

  #requireTransport(): Transport {
    if (!this.#transport) throw new Error("Not connected");
    return this.#transport;
  }

  #receive(message: Message): void {
    if (message.method === undefined) {
      if (message.id !== undefined) this.#pending.get(message.id)?.settle(message);
      return;
    }
    if (message.id !== undefined) {
      void this.#answer(message as Message & { id: Id; method: string });
      return;
    }
    const handler = this.#notificationHandlers.get(message.method);
    if (handler)
      Promise.resolve(message)
        .then(handler)
        .catch((error: Error) => this.onerror?.(error));
  }

  async #answer(request: Message & { id: Id; method: string }): Promise<void> {
    const transport = this.#requireTransport();
    const handler = this.#requestHandlers.get(request.method);
    if (!handler) {
      const error = { code: METHOD_NOT_FOUND, message: `Method not found: ${request.method}` };
      await transport
        .send({ jsonrpc: JSONRPC, id: request.id, error })
        .catch((error: Error) => this.onerror?.(error));
      return;
    }
    const controller = new AbortController();
    this.#running.set(request.id, controller);
    const context: HandlerContext = {
      mcpReq: {
        id: request.id,
        method: request.method,
        signal: controller.signal,
        _meta: request.params?._meta,
        send: this.request.bind(this),
        notify: this.notification.bind(this),
      },
    };
    let answer: Message;
    try {
      answer = { jsonrpc: JSONRPC, id: request.id, result: await handler(request, context) };
    } catch (error) {
      const { code, message, data } = error as Partial<ProtocolError>;
      const known = Number.isSafeInteger(code) ? (code as number) : INTERNAL_ERROR;
      answer = {
        jsonrpc: JSONRPC,
        id: request.id,
        error: { code: known, message: message ?? "Internal error", data },
      };
    } finally {
      this.#running.delete(request.id);
    }
    if (!controller.signal.aborted)
      await transport.send(answer).catch((error: Error) => this.onerror?.(error));
  }

  #closed(): void {
    this.#transport = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const request of pending) request.fail(new ProtocolError(CONNECTION_CLOSED, "Connection closed"));
    this.onclose?.();
  }
}
