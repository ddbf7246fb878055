// The browser side of the view tests: a minimal MCP Apps host. It embeds a view's HTML in a
// sandboxed iframe (scripts allowed, no same-origin: an opaque origin, as real hosts give it) and
// speaks the host side of the protocol with ext-apps' AppBridge. The view's tools/call and
// resources/read go to the test process (window.hostCallTool / hostReadResource, exposed by
// Playwright), which forwards them to the real server over an MCP client.
import type { McpUiStyles } from "@modelcontextprotocol/ext-apps";
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import type { CallToolRequest, CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export interface MountRequest {
  html: string;
  toolInput: Record<string, unknown>;
  toolResult: CallToolResult;
  theme: "light" | "dark";
}

declare global {
  interface Window {
    hostCallTool(params: CallToolRequest["params"]): Promise<CallToolResult>;
    hostReadResource(params: { uri: string }): Promise<{ contents: unknown[] }>;
    /** Shows the view; answers when it started (epoch ms, as the view's render mark). */
    mountView(request: MountRequest): Promise<number>;
    /** Links the view asked the host to open. */
    openedLinks: string[];
  }
}

window.openedLinks = [];

window.mountView = async ({ html, toolInput, toolResult, theme }) => {
  const startedAt = performance.timeOrigin + performance.now();
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.id = "view";
  document.body.replaceChildren(iframe);
  const bridge = new AppBridge(
    null,
    { name: "vagon-view-tests", version: "1.0.0" },
    { serverTools: {}, serverResources: {}, openLinks: {} },
    {
      hostContext: {
        theme,
        displayMode: "inline",
        platform: "web",
        styles: {
          variables: {
            "--font-sans": "'DejaVu Sans', sans-serif",
            "--color-text-info": theme === "dark" ? "#7cb3ff" : "#1f5fbf",
            // A host sends only the variables it has (the 2.x type lists every one).
          } as McpUiStyles,
        },
      },
    },
  );
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onreadresource = (params) => window.hostReadResource(params) as never;
  bridge.onopenlink = async ({ url }) => {
    window.openedLinks.push(url);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${Math.min(height, 2000)}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  const target = iframe.contentWindow!;
  await bridge.connect(new PostMessageTransport(target, target));
  iframe.srcdoc = html;
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  await bridge.sendToolResult(toolResult);
  return startedAt;
};
