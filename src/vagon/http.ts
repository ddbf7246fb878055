// The one keep-alive connection pool, for the Vagon API and the presigned S3 URLs alike.
// undici is a third of the server's code, so it is loaded with the first request rather than at
// start-up: a host that launches the server and lists its tools never waits for it.
import type { Agent, Dispatcher } from "undici";
import type { Backoff } from "./retry.js";

type Undici = typeof import("undici");
export type HttpRequestOptions = Omit<NonNullable<Parameters<Undici["request"]>[1]>, "dispatcher">;
export type HttpResponse = Dispatcher.ResponseData<unknown>;

export interface HttpPool {
  /** How transfers over this pool back off: the owning client's settings (none: the defaults). */
  readonly backoff?: Backoff;
  request(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  close(): Promise<void>;
}

let undici: Promise<Undici> | undefined;

export function createHttpPool(agentOptions: Agent.Options, backoff?: Backoff): HttpPool {
  let agent: Agent | undefined;
  let closed = false;
  return {
    ...(backoff ? { backoff } : {}),
    async request(url, options) {
      undici ??= import("undici");
      const { Agent, request } = await undici;
      // As undici's own Agent does once closed; also no new pool for a request that was
      // waiting for undici to load when close() ran.
      if (closed) throw new Error("The connection pool is closed.");
      agent ??= new Agent(agentOptions);
      return request(url, { ...options, dispatcher: agent });
    },
    async close() {
      closed = true;
      await agent?.close();
    },
  };
}
