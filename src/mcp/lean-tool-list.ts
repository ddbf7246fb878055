// tools/list is paid for in every conversation: hosts hand each tool's input schema to the model.
// The SDK's zod → JSON Schema conversion adds what no model needs — a `$schema` URL per tool and
// the ±2^53 bounds that zod gives every integer — about 1.7 KB over our tools. This drops them
// from the answer, changing nothing the schemas allow.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema, type ListToolsResult } from "@modelcontextprotocol/sdk/types.js";

type Handler = (request: unknown, extra: unknown) => Promise<ListToolsResult>;

/** Call after every tool is registered (the SDK installs its tools/list handler then). */
export function leanToolList(server: McpServer): void {
  // The SDK keeps its handlers private; we only wrap the one it made.
  const handlers = (server.server as unknown as { _requestHandlers: Map<string, Handler> })._requestHandlers;
  const original = handlers.get(ListToolsRequestSchema.shape.method.value);
  if (!original) return;
  server.server.setRequestHandler(ListToolsRequestSchema, async (request, extra) => {
    const result = await original(request, extra);
    for (const tool of result.tools) {
      stripNoise(tool.inputSchema);
      if (tool.outputSchema) stripNoise(tool.outputSchema);
    }
    return result;
  });
}

function stripNoise(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) stripNoise(item);
    return;
  }
  if (typeof schema !== "object" || schema === null) return;
  const node = schema as Record<string, unknown>;
  delete node.$schema;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  // zod's positive() on an integer: "minimum": 1 says the same in fewer tokens.
  if (node.type === "integer" && node.exclusiveMinimum === 0) {
    delete node.exclusiveMinimum;
    node.minimum = 1;
  }
  for (const value of Object.values(node)) stripNoise(value);
}
