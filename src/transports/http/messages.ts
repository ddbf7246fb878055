// What every leg of the HTTP transport reads from a request and answers with: the body under its
// size limit, a JSON-RPC error answer, and what a message batch asks for.
import type { IncomingMessage, ServerResponse } from "node:http";
import { isInitializeRequest } from "@modelcontextprotocol/server";

/** A JSON-RPC error answer (nothing more once headers went out: then the response just ends). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

export type BodyResult = { kind: "ok"; text: string } | { kind: "too-large" };

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return { kind: "too-large" };
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    receivedBytes += chunk.length;
    if (receivedBytes > maxBytes) return { kind: "too-large" };
    chunks.push(chunk);
  }
  return { kind: "ok", text: Buffer.concat(chunks).toString("utf8") };
}

export function containsInitialize(body: unknown): boolean {
  return Array.isArray(body)
    ? body.some((message) => isInitializeRequest(message))
    : isInitializeRequest(body);
}

/**
 * Whether a stateless request asked for progress notifications, which need an SSE stream. Every
 * other request is answered as one JSON body: a replica that dies before answering then shows
 * the client the balancer's 502, while an SSE stream it had started would just stop and leave
 * the client waiting for a response that can never come (nothing can resume it: no session).
 */
export function wantsProgress(body: unknown): boolean {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  return messages.some((message) => {
    const meta = (message as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
    return meta?.progressToken !== undefined;
  });
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A POST's body read as JSON, or null once the request was answered: 413 over `maxBytes`, or
 * JSON-RPC's parse error.
 */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<{ body: unknown } | null> {
  const read = await readBody(req, maxBytes);
  if (read.kind === "too-large") {
    sendError(res, 413, `Request body over ${maxBytes} bytes.`, { connection: "close" });
    return null;
  }
  try {
    return { body: JSON.parse(read.text) };
  } catch {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error" }, id: null }));
    return null;
  }
}
