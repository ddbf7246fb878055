// One story, both protocol eras: a real client of either SDK behind one small interface. The
// initialize era (2025-11-25) is the v1 `@modelcontextprotocol/sdk` Client, as hosts built on it
// speak today; 2026-07-28 is the v2 `@modelcontextprotocol/client` Client pinned to that revision
// (no initialize, no session: each request carries its version and capabilities in _meta, and an
// input_required answer is fulfilled through the same elicitation handler and retried).
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdio } from "@modelcontextprotocol/client/stdio";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdio } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as LegacyHttp } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type CallToolResult, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

export const ERAS = ["2025-11-25", "2026-07-28"] as const;
export type Era = (typeof ERAS)[number];

export type Target =
  | { kind: "stdio"; command: string; args: string[]; env?: Record<string, string> }
  | { kind: "http"; url: string; headers?: Record<string, string> };

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

export interface EraClient {
  readonly era: Era;
  /** The revision the connection speaks. */
  protocolVersion(): string | undefined;
  call(
    name: string,
    args: Record<string, unknown>,
    onProgress?: (progress: Progress) => void,
  ): Promise<CallToolResult>;
  listTools(): Promise<{ tools: Array<{ name: string; inputSchema: unknown; _meta?: unknown }> }>;
  listResources(): Promise<{ resources: Array<{ uri: string; name: string }> }>;
  readResource(uri: string): Promise<{ contents: Array<{ uri: string; text?: string; blob?: string }> }>;
  listPrompts(): Promise<{ prompts: Array<{ name: string }> }>;
  getPrompt(name: string, args: Record<string, string>): Promise<{ messages: unknown[] }>;
  /** The messages of every confirmation the user was shown. */
  readonly asked: string[];
  /** What the user answers from now on (default: confirm). */
  answer(confirm: boolean): void;
  close(): Promise<void>;
}

export interface EraClientOptions {
  /** Offer elicitation (the user can be asked): default true. */
  elicitation?: boolean;
}

export async function connectEraClient(
  era: Era,
  target: Target,
  options: EraClientOptions = {},
): Promise<EraClient> {
  const elicitation = options.elicitation ?? true;
  const asked: string[] = [];
  let confirm = true;
  const onElicit = (message: string) => {
    asked.push(message);
    return confirm
      ? { action: "accept" as const, content: { confirm: true } }
      : { action: "decline" as const };
  };
  const info = { name: `era-${era}`, version: "1.0.0" };
  const capabilities = elicitation ? { elicitation: {} } : {};

  if (era === "2025-11-25") {
    const client = new LegacyClient(info, { capabilities });
    if (elicitation)
      client.setRequestHandler(ElicitRequestSchema, (request) => onElicit(request.params.message));
    const transport =
      target.kind === "stdio"
        ? new LegacyStdio({ command: target.command, args: target.args, env: target.env, stderr: "pipe" })
        : new LegacyHttp(new URL(target.url), { requestInit: { headers: target.headers ?? {} } });
    await client.connect(transport);
    return {
      era,
      protocolVersion: () => (transport as { protocolVersion?: string }).protocolVersion ?? era,
      call: async (name, args, onProgress) =>
        (await client.callTool(
          { name, arguments: args },
          undefined,
          onProgress ? { onprogress: onProgress, resetTimeoutOnProgress: true } : {},
        )) as CallToolResult,
      listTools: () => client.listTools(),
      listResources: () => client.listResources(),
      readResource: (uri) => client.readResource({ uri }) as never,
      listPrompts: () => client.listPrompts(),
      getPrompt: (name, args) => client.getPrompt({ name, arguments: args }),
      asked,
      answer: (value) => {
        confirm = value;
      },
      close: async () => {
        if (transport instanceof LegacyHttp) await transport.terminateSession().catch(() => {});
        await client.close();
      },
    };
  }

  const client = new ModernClient(info, {
    capabilities,
    versionNegotiation: { mode: { pin: "2026-07-28" } },
  });
  if (elicitation) {
    client.setRequestHandler("elicitation/create", (request) =>
      onElicit((request.params as { message: string }).message),
    );
  }
  const transport =
    target.kind === "stdio"
      ? new ModernStdio({ command: target.command, args: target.args, env: target.env, stderr: "pipe" })
      : new ModernHttp(new URL(target.url), { requestInit: { headers: target.headers ?? {} } });
  await client.connect(transport);
  return {
    era,
    protocolVersion: () => client.getNegotiatedProtocolVersion(),
    call: async (name, args, onProgress) =>
      (await client.callTool(
        { name, arguments: args },
        onProgress ? { onprogress: onProgress, resetTimeoutOnProgress: true } : {},
      )) as CallToolResult,
    listTools: () => client.listTools() as never,
    listResources: () => client.listResources() as never,
    readResource: (uri) => client.readResource({ uri }) as never,
    listPrompts: () => client.listPrompts() as never,
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }) as never,
    asked,
    answer: (value) => {
      confirm = value;
    },
    close: () => client.close(),
  };
}
