// A deliberately tiny Vagon caller for the sandbox tests: signs with node:crypto straight from
// auth.md (independent of src/vagon), sends with undici, returns status + parsed JSON.
import { createHmac, randomUUID } from "node:crypto";
import { request } from "undici";
import type { Sandbox } from "../../src/sandbox/index.js";

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number>;
  /** Sign with this secret instead of the sandbox's. */
  secret?: string;
  nonce?: string;
  timestampMs?: number;
  /** Send this Authorization header as is. */
  authorization?: string;
}

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests poke into loosely shaped JSON bodies
  json: any;
  headers: Record<string, string | string[] | undefined>;
}

export function signatureFor(input: {
  apiKey: string;
  secret: string;
  method: string;
  path: string;
  timestampMs: number;
  nonce: string;
  body: string;
}): string {
  return createHmac("sha256", input.secret)
    .update(`${input.apiKey}${input.method}${input.path}${input.timestampMs}${input.nonce}${input.body}`)
    .digest("hex");
}

export async function call(
  sandbox: Sandbox,
  method: string,
  endpoint: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const base = new URL(sandbox.apiUrl);
  const path = `${base.pathname}${endpoint}`;
  const search = options.query
    ? `?${new URLSearchParams(Object.entries(options.query).map(([key, value]): [string, string] => [key, String(value)])).toString()}`
    : "";
  const body = options.body === undefined ? "" : JSON.stringify(options.body);
  const nonce = options.nonce ?? randomUUID();
  const timestampMs = options.timestampMs ?? Date.now();
  const signature = signatureFor({
    apiKey: sandbox.apiKey,
    secret: options.secret ?? sandbox.apiSecret,
    method,
    path,
    timestampMs,
    nonce,
    body,
  });
  const response = await request(`${base.origin}${path}${search}`, {
    method: method as "GET",
    headers: {
      authorization: options.authorization ?? `HMAC ${sandbox.apiKey}:${signature}:${nonce}:${timestampMs}`,
      "content-type": "application/json",
    },
    body: body === "" ? undefined : body,
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    json: text === "" ? null : JSON.parse(text),
    headers: response.headers,
  };
}

/** The names in a listing, whatever the shape. */
// biome-ignore lint/suspicious/noExplicitAny: listing items differ per shape
export function names(listing: any): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: listing items differ per shape
  return listing.files.map((file: any) => file.attributes?.name ?? file.name);
}
