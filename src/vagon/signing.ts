// Vagon request signing, exactly as auth.md describes it. Pure: no I/O, no clock unless asked.
import { createHmac, randomUUID } from "node:crypto";

export interface SignRequestInput {
  apiKey: string;
  apiSecret: string;
  /** Any case; signed upper case. */
  method: string;
  /** Full request path as sent (base path included), without host and without query string. */
  path: string;
  /** Exact JSON text that is sent; empty or undefined for requests without a body. */
  body?: string;
  /** Fresh per request; defaults to a random UUID. */
  nonce?: string;
  /** Milliseconds since the Unix epoch; defaults to now. */
  timestampMs?: number;
}

export interface SignedRequest {
  /** Value of the Authorization header: `HMAC {key}:{signature}:{nonce}:{timestamp}`. */
  header: string;
  nonce: string;
  timestampMs: number;
}

/** `{api_key}{METHOD}{path}{timestamp}{nonce}{body}`, concatenated with no separator. */
export function signingString(
  input: Omit<SignRequestInput, "apiSecret"> & { nonce: string; timestampMs: number },
) {
  return `${input.apiKey}${input.method.toUpperCase()}${input.path}${String(input.timestampMs)}${input.nonce}${input.body ?? ""}`;
}

export function signRequest(input: SignRequestInput): SignedRequest {
  const nonce = input.nonce ?? randomUUID();
  const timestampMs = input.timestampMs ?? Date.now();
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
    throw new RangeError("timestampMs must be a non-negative integer number of milliseconds");
  }
  // The query string is never part of the signed path.
  const queryAt = input.path.indexOf("?");
  const path = queryAt === -1 ? input.path : input.path.slice(0, queryAt);
  const signature = createHmac("sha256", input.apiSecret)
    .update(signingString({ ...input, path, nonce, timestampMs }), "utf8")
    .digest("hex");
  return { header: `HMAC ${input.apiKey}:${signature}:${nonce}:${timestampMs}`, nonce, timestampMs };
}
