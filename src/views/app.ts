// What every view shares: the ext-apps App connected to the host, the host's theme and fonts,
// tool calls that answer structured content or throw the tool's own error text, and a marker
// the tests and the bench wait for once the first result is on screen.
import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
} from "@modelcontextprotocol/ext-apps";
import type { CallToolResult } from "@modelcontextprotocol/server";

export type ToolArguments = Record<string, unknown>;

export interface ViewHandlers {
  /** The arguments the model called the tool with (sent before the result). */
  onInput?(args: ToolArguments): void;
  /** The tool's result; `structured` is its structuredContent. */
  onResult(result: CallToolResult, structured: Record<string, unknown> | undefined): void;
}

export interface View {
  app: App;
  /** Calls one of the server's tools through the host; throws the tool's error text. */
  callTool(
    name: string,
    args: ToolArguments,
  ): Promise<CallToolResult & { structured: Record<string, unknown> }>;
  /** Says the first render is done: sets `data-rendered` on <body> to the time (epoch ms). */
  rendered(): void;
}

type HostContext = ReturnType<App["getHostContext"]>;

function applyHostContext(context: HostContext): void {
  if (!context) return;
  if (context.theme) applyDocumentTheme(context.theme);
  if (context.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((item) => item.type === "text")
    .map((item) => item.text)
    .join("\n");
}

export function startView(name: string, handlers: ViewHandlers): View {
  const app = new App({ name: `vagon-${name}`, version: "1.0.0" });
  app.ontoolinput = (params) => handlers.onInput?.(params.arguments ?? {});
  app.ontoolresult = (result) =>
    handlers.onResult(result, result.structuredContent as Record<string, unknown> | undefined);
  app.onhostcontextchanged = (context) => applyHostContext(context);
  void app.connect().then(() => applyHostContext(app.getHostContext()));
  return {
    app,
    async callTool(toolName, args) {
      const result = await app.callServerTool({ name: toolName, arguments: args });
      if (result.isError) throw new Error(textOf(result) || `${toolName} failed.`);
      return { ...result, structured: (result.structuredContent ?? {}) as Record<string, unknown> };
    },
    rendered() {
      document.body.dataset.rendered ??= String(performance.timeOrigin + performance.now());
    },
  };
}
