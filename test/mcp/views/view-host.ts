// The test process's side of the view tests (and of bench/views.ts): headless Chromium (the
// system's, never a download) running host.ts, wired to the real server through an MCP client.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { build } from "esbuild";
import { type Browser, chromium, type Frame, type Page } from "playwright-core";
import { findSystemBinary, installCommand } from "../../helpers/system-binary.js";
import type { MountRequest } from "./host.js";

export const CHROMIUM_PATH = findSystemBinary("chromium", "MCP Apps views in headless Chromium", [
  ...(process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : []),
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
]);
export const CHROMIUM_INSTALL = installCommand(["chromium"]);

export interface MountedView {
  frame: Frame;
  result: CallToolResult;
  /**
   * ms from the start of resources/read to the view's first render (its body[data-rendered]
   * mark): the read, then the host page's work from receiving the HTML. Playwright's own relay of
   * the HTML into the page is not a host's cost and is left out.
   */
  renderMs: number;
}

export interface ViewHost {
  page: Page;
  /** Dialogs (alert/confirm/prompt) any frame opened: a script injected through a name would show here. */
  dialogs: string[];
  /** Console errors of the page and the views. */
  errors: string[];
  /** Tools the server offers, with the view each names. */
  viewOf: Map<string, string | undefined>;
  /** Calls `tool` like a model would, then shows the view its tools/list entry names. */
  mount(tool: string, args: Record<string, unknown>, theme?: "light" | "dark"): Promise<MountedView>;
  screenshot(file: string): Promise<void>;
  close(): Promise<void>;
}

async function hostScript(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(import.meta.dirname, "host.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  return result.outputFiles[0]!.text;
}

export async function startViewHost(mcp: Client): Promise<ViewHost> {
  if (!CHROMIUM_PATH) throw new Error(`No Chromium: ${CHROMIUM_INSTALL}`);
  const { tools } = await mcp.listTools();
  const viewOf = new Map(
    tools.map((tool) => [tool.name, (tool._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri]),
  );
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Root in a container has no user namespaces for Chromium's own sandbox.
    args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"],
  });
  const page = await browser.newPage({ viewport: { width: 760, height: 520 }, deviceScaleFactor: 1 });
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.exposeFunction("hostCallTool", (params: { name: string; arguments?: Record<string, unknown> }) =>
    mcp.callTool(params),
  );
  await page.exposeFunction("hostReadResource", (params: { uri: string }) => mcp.readResource(params));
  await page.setContent(
    "<!doctype html><html><head><style>body{margin:0}iframe{border:0;width:100%;height:520px;display:block}</style></head><body></body></html>",
  );
  await page.addScriptTag({ content: await hostScript() });

  return {
    page,
    viewOf,
    dialogs,
    errors,
    async mount(tool, args, theme = "light") {
      const uri = viewOf.get(tool);
      if (!uri) throw new Error(`${tool} names no view in _meta.ui.resourceUri`);
      const result = (await mcp.callTool({ name: tool, arguments: args })) as CallToolResult;
      const readStartedAt = performance.now();
      const resource = await mcp.readResource({ uri });
      const readMs = performance.now() - readStartedAt;
      const content = resource.contents[0] as { text?: string; mimeType?: string };
      if (content.mimeType !== "text/html;profile=mcp-app" || !content.text) {
        throw new Error(`${uri} is not an MCP App (${content.mimeType})`);
      }
      const request: MountRequest = { html: content.text, toolInput: args, toolResult: result, theme };
      const mountedAt = await page.evaluate((mountRequest) => window.mountView(mountRequest), request);
      const frame = await (await page.waitForSelector("iframe#view")).contentFrame();
      if (!frame) throw new Error("The view's iframe has no frame");
      const renderedAt = Number(
        await (await frame.waitForSelector("body[data-rendered]")).getAttribute("data-rendered"),
      );
      return { frame, result, renderMs: readMs + (renderedAt - mountedAt) };
    },
    async screenshot(file) {
      await mkdir(path.dirname(file), { recursive: true });
      await page.locator("iframe#view").screenshot({ path: file });
    },
    close: () => browser.close(),
  };
}
