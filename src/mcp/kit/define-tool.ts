// One tool = one definition: schemas, annotations and a short handler that returns
// structured data plus its compact text. Registration, error handling and the result
// envelope live here, once.
import { setMaxListeners } from "node:events";
import {
  type CallToolResult,
  type ImageContent,
  type InputRequiredResult,
  isInputRequiredResult,
  type McpServer,
  type ResourceLink,
  type ServerContext,
  type ToolAnnotations,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Config } from "../../config.js";
import type { Lifecycle } from "../../lifecycle.js";
import { type Logger, withLogScope } from "../../log.js";
import type { VagonClient } from "../../vagon/types.js";
import { type Cuttable, fitToBudget, resultTokens } from "./budget.js";
import type { LocalPaths } from "./checked-paths.js";
import { currentCall, isModernEra, NeedsInput, requestLogSink } from "./era.js";
import { toolErrorResult } from "./errors.js";
import type { JobOwners } from "./job-owners.js";
import { leanSchema } from "./lean-tool-list.js";
import type { PagesAhead } from "./pages-ahead.js";
import { beforeResult, type ToolExtra } from "./progress.js";
import { REFUSED_ARGUMENTS, readArguments, unknownArgumentsText } from "./unknown-arguments.js";
import { TOOL_VIEWS, viewToolMeta } from "./views.js";
import { explainParentOfWrongKind } from "./wrong-kind.js";

export interface ToolContext {
  client: VagonClient;
  config: Config;
  logger: Logger;
  paths: LocalPaths;
  server: McpServer;
  lifecycle: Lifecycle;
  /** Over HTTP: who the caller is (never a credential); undefined over stdio. */
  principal?: string | undefined;
  /** Over HTTP: who started which zip job in this process. */
  jobOwners?: JobOwners | undefined;
  /** This session's pages a listing fetched and did not show (pages-ahead.ts). */
  pagesAhead: PagesAhead;
  extra: ToolExtra;
}

export interface ToolOutput<Structured> {
  structured: Structured;
  text: string;
  /** Shown to the model after the text (read_file's images). */
  images?: ImageContent[];
  links?: ResourceLink[];
  /**
   * How to shorten this result if it is over the output budget (budget.ts); a result that can
   * grow with the data (listings, extracted files) must offer one.
   */
  cut?: Cuttable<ToolOutput<Structured>>;
}

export interface ToolDefinition<Input extends z.ZodRawShape, Output extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: Omit<ToolAnnotations, "title" | "openWorldHint">;
  /** Changes something at Vagon: hidden in read-only mode. */
  mutating: boolean;
  /**
   * A larger output budget (estimated tokens) for a call that explicitly asked for more with a
   * documented parameter (read_file's max_bytes); every other result stays within the default.
   */
  budgetTokens?(args: z.infer<z.ZodObject<Input>>): number | undefined;
  handler(
    args: z.infer<z.ZodObject<Input>>,
    context: ToolContext,
    // input_required: a 2026-07-28 client is asked something and calls again (confirm.ts).
  ): Promise<ToolOutput<z.infer<z.ZodObject<Output>>> | InputRequiredResult>;
}

export function defineTool<Input extends z.ZodRawShape, Output extends z.ZodRawShape>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return definition;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of tools
export type AnyTool = ToolDefinition<any, any>;

export function registerTool(server: McpServer, tool: AnyTool, base: Omit<ToolContext, "extra">): void {
  // A host may run a read-only tool without asking: one that changes Vagon must never claim it.
  if (tool.mutating && tool.annotations.readOnlyHint === true) {
    throw new Error(`Tool ${tool.name} changes Vagon Files but is annotated readOnlyHint: true.`);
  }
  const view = TOOL_VIEWS[tool.name];
  const legacyEra = () => !isModernEra(server);
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      // Strict: an unknown name is refused with the valid ones, not silently dropped, and hosts
      // see additionalProperties: false.
      inputSchema: leanSchema(
        z.strictObject(tool.inputSchema as z.ZodRawShape, {
          error: (issue) =>
            issue.code === "unrecognized_keys"
              ? unknownArgumentsText(tool.name, issue.keys, Object.keys(tool.inputSchema))
              : undefined,
        }),
        legacyEra,
        (value) => readArguments(tool.name, tool.inputSchema, value),
      ),
      outputSchema: leanSchema(z.object(tool.outputSchema as z.ZodRawShape), legacyEra),
      annotations: { ...tool.annotations, openWorldHint: true },
      ...(view ? { _meta: viewToolMeta(view) } : {}),
    },
    async (
      args: Record<string, unknown>,
      ctx: ServerContext,
    ): Promise<CallToolResult | InputRequiredResult> => {
      const extra: ToolExtra = {
        signal: ctx.mcpReq.signal,
        ...(ctx.mcpReq._meta ? { _meta: ctx.mcpReq._meta } : {}),
        sendNotification: (notification) => ctx.mcpReq.notify(notification),
        ctx,
        ...(isModernEra(base.server) || ctx.http
          ? {}
          : { ping: (timeoutMs: number) => ctx.mcpReq.send({ method: "ping" }, { timeout: timeoutMs }) }),
      };
      // A name the tool doesn't take: refused in one paragraph, nothing done (unknown-arguments.ts).
      const refused = (args as { [REFUSED_ARGUMENTS]?: string })[REFUSED_ARGUMENTS];
      if (refused !== undefined) return { isError: true, content: [{ type: "text", text: refused }] };
      // Every request a call makes listens for its cancellation: a listing fetches 8 pages at once,
      // an upload sends 4 parts, so Node's default of 10 listeners would warn on stderr for nothing.
      setMaxListeners(64, extra.signal);
      // A page kept from before a change would list what the change removed, or miss what it made.
      if (tool.mutating) base.pagesAhead.clear();
      // Counted until settled: a shutdown waits for the call's cleanups before the process exits.
      const run = () =>
        base.lifecycle.track(async () => {
          try {
            const output = await tool.handler(args, { ...base, extra });
            if (isInputRequiredResult(output)) return output;
            await beforeResult(extra);
            return fitToBudget(
              toResult(output),
              resultTokens,
              cutOf(output),
              tool.name,
              tool.budgetTokens?.(args),
            );
          } catch (error) {
            if (error instanceof NeedsInput) return error.result;
            const explained = await explainParentOfWrongKind(error, base.client, args, extra.signal);
            await beforeResult(extra);
            return toolErrorResult(explained, tool.name, base.logger, extra.signal);
          }
        });
      // A 2026-07-28 call's logs go on its own stream at the level its _meta asks for.
      return isModernEra(base.server)
        ? currentCall.run(ctx, () => withLogScope(requestLogSink(ctx), run))
        : run();
    },
  );
}

function toResult(output: ToolOutput<unknown>): CallToolResult {
  return {
    content: [{ type: "text", text: output.text }, ...(output.images ?? []), ...(output.links ?? [])],
    structuredContent: output.structured as Record<string, unknown>,
  };
}

function cutOf(output: ToolOutput<unknown>): Cuttable<CallToolResult> | undefined {
  const { cut } = output;
  return cut ? { items: cut.items, keep: (keep) => toResult(cut.keep(keep)) } : undefined;
}
