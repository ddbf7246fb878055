// The views' JSON-RPC engine (src/views/protocol.ts) under ext-apps' own App, as the view build
// bundles it, against the real host side: ext-apps' AppBridge on the client package's Protocol,
// linked by the SDK's in-memory transport. The browser tests (test/mcp/views) drive the same
// pair through postMessage; these pin what a view rarely meets: errors, cancellation, timeouts,
// a host that goes away, a method nobody handles.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { InMemoryTransport } from "@modelcontextprotocol/client";
import type { App as RealApp } from "@modelcontextprotocol/ext-apps";
import { AppBridge } from "@modelcontextprotocol/ext-apps/app-bridge";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { slimDependencies } from "../../scripts/build-views.mjs";

let App: typeof RealApp;
let bundleDir: string;

beforeAll(async () => {
  bundleDir = await mkdtemp(path.join(os.tmpdir(), "views-protocol-"));
  const result = await build({
    stdin: { contents: 'export { App } from "@modelcontextprotocol/ext-apps";', resolveDir: process.cwd() },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "error",
    plugins: [slimDependencies],
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((input) => input.includes("@modelcontextprotocol/client"))).toBe(false);
  expect(inputs).toContain("src/views/protocol.ts");
  const file = path.join(bundleDir, "app.mjs");
  await writeFile(file, result.outputFiles[0]!.text);
  ({ App } = (await import(pathToFileURL(file).href)) as { App: typeof RealApp });
});

afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
});

const HOST_CONTEXT = { theme: "dark", displayMode: "inline", platform: "web" } as const;

/** A connected view and host: the App on the views' Protocol, the AppBridge on the SDK's. */
async function connectPair(
  setUpHost: (bridge: AppBridge) => void = () => {},
  setUpView: (app: RealApp) => void = () => {},
) {
  const bridge = new AppBridge(
    null,
    { name: "test-host", version: "1.0.0" },
    { serverTools: {} },
    { hostContext: HOST_CONTEXT },
  );
  setUpHost(bridge);
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  const [viewTransport, hostTransport] = InMemoryTransport.createLinkedPair();
  await bridge.connect(hostTransport);
  const app = new App({ name: "test-view", version: "1.0.0" }, {}, { autoResize: false });
  setUpView(app);
  await app.connect(viewTransport as never);
  await initialized;
  return { app, bridge };
}

describe("the views' Protocol under ext-apps' App", () => {
  it("completes the ui/initialize handshake and keeps the host's context", async () => {
    const { app } = await connectPair();
    expect(app.getHostContext()).toMatchObject(HOST_CONTEXT);
    expect(app.getHostVersion()).toEqual({ name: "test-host", version: "1.0.0" });
    await app.close();
  });

  it("hands the view the tool input and result the host sends, params parsed", async () => {
    const seen: unknown[] = [];
    let resultArrived!: () => void;
    const result = new Promise<void>((resolve) => {
      resultArrived = resolve;
    });
    const { app, bridge } = await connectPair(undefined, (view) => {
      view.ontoolinput = (params) => seen.push(params);
      view.ontoolresult = (params) => {
        seen.push(params);
        resultArrived();
      };
    });
    await bridge.sendToolInput({ arguments: { location: "shared" } });
    await bridge.sendToolResult({
      content: [{ type: "text", text: "3 entries" }],
      structuredContent: { n: 3 },
    });
    await result;
    expect(seen).toEqual([
      { arguments: { location: "shared" } },
      { content: [{ type: "text", text: "3 entries" }], structuredContent: { n: 3 } },
    ]);
    await app.close();
  });

  it("calls a server tool through the host and answers its result", async () => {
    const { app } = await connectPair((bridge) => {
      bridge.oncalltool = async (params) => ({ content: [{ type: "text", text: `called ${params.name}` }] });
    });
    const result = await app.callServerTool({ name: "list_files", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "called list_files" }]);
    await app.close();
  });

  it("rejects with the host's error code and message when the call fails", async () => {
    const { app } = await connectPair((bridge) => {
      bridge.oncalltool = async () => {
        throw new Error("storage unreachable");
      };
    });
    await expect(app.callServerTool({ name: "list_files", arguments: {} })).rejects.toMatchObject({
      name: "ProtocolError",
      message: expect.stringContaining("storage unreachable"),
      code: -32603,
    });
    await app.close();
  });

  it("cancels at the host when the view aborts a call", async () => {
    let hostSignal: AbortSignal | undefined;
    let calledAtHost!: () => void;
    const reachedHost = new Promise<void>((resolve) => {
      calledAtHost = resolve;
    });
    const { app } = await connectPair((bridge) => {
      bridge.oncalltool = (_params, extra) => {
        hostSignal = extra.mcpReq.signal;
        calledAtHost();
        return new Promise(() => {});
      };
    });
    const controller = new AbortController();
    const call = app.callServerTool({ name: "grep", arguments: {} }, { signal: controller.signal });
    await reachedHost;
    controller.abort(new Error("the user closed the view"));
    await expect(call).rejects.toThrow("the user closed the view");
    await expect.poll(() => hostSignal?.aborted).toBe(true);
    await app.close();
  });

  it("gives up on a call the host never answers once its timeout passes", async () => {
    const { app } = await connectPair((bridge) => {
      bridge.oncalltool = () => new Promise(() => {});
    });
    await expect(app.callServerTool({ name: "grep", arguments: {} }, { timeout: 1 })).rejects.toMatchObject({
      code: -32001,
    });
    await app.close();
  });

  it("rejects a call in flight when the host goes away", async () => {
    let calledAtHost!: () => void;
    const reachedHost = new Promise<void>((resolve) => {
      calledAtHost = resolve;
    });
    let host!: AppBridge;
    const { app } = await connectPair((bridge) => {
      host = bridge;
      bridge.oncalltool = () => {
        calledAtHost();
        return new Promise(() => {});
      };
    });
    const call = app.callServerTool({ name: "grep", arguments: {} });
    await reachedHost;
    await host.close();
    await expect(call).rejects.toThrow("Connection closed");
    expect(app.transport).toBeUndefined();
  });

  it("answers 'method not found' to a request it has no handler for, and checks params it has schemas for", async () => {
    const { app, bridge } = await connectPair();
    await expect(bridge.request({ method: "ui/unknown", params: {} }, z.object({}))).rejects.toMatchObject({
      code: -32601,
    });
    app.setRequestHandler("ui/echo", { params: z.object({ word: z.string() }) }, (params) => params as never);
    await expect(
      bridge.request({ method: "ui/echo", params: { word: "hi" } }, z.object({ word: z.string() })),
    ).resolves.toEqual({
      word: "hi",
    });
    await expect(
      bridge.request({ method: "ui/echo", params: { word: 7 } }, z.object({})),
    ).rejects.toMatchObject({
      code: -32602,
    });
    await app.close();
  });
});
