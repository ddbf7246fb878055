// mcp.json.example copied verbatim ("<your key>") or a credential with a space or ":" can't sign
// a request: the server refuses to start and says which variable holds the placeholder, instead
// of answering every call with a clock-skew diagnosis (SPEC §1). Through the built binary, as a
// host launches it.
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { placeholderReason } from "../../src/config.js";

const cli = path.resolve("dist/cli.js");

/** Launches the server as a host would and returns what it wrote to stderr when it stopped. */
async function launch(env: Record<string, string>): Promise<{ connected: boolean; stderr: string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env: { PATH: process.env.PATH ?? "", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client({ name: "placeholder-test", version: "1.0.0" });
  const exited = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  const connected = await client.connect(transport).then(
    () => true,
    () => false,
  );
  await exited;
  return { connected, stderr };
}

describe("a placeholder credential is refused at start-up", () => {
  it('names VAGON_API_KEY when it still holds "<your key>", without blaming the clock', async () => {
    const { connected, stderr } = await launch({
      VAGON_API_KEY: "<your key>",
      VAGON_API_SECRET: "<your secret>",
    });
    expect(connected).toBe(false);
    expect(stderr).toMatch(
      /VAGON_API_KEY still holds a placeholder, not a credential \(it looks like "<your key>" from mcp\.json\.example\)/,
    );
    expect(stderr).not.toMatch(/clock/);
  });

  it("names VAGON_API_SECRET when it holds a space, and never echoes it", async () => {
    const secret = "s3cr3t value";
    const { connected, stderr } = await launch({ VAGON_API_KEY: "vk_live_123", VAGON_API_SECRET: secret });
    expect(connected).toBe(false);
    expect(stderr).toMatch(
      /VAGON_API_SECRET still holds a placeholder, not a credential \(it contains a space\)/,
    );
    expect(stderr).not.toContain(secret);
  });

  it("tells placeholders from real-looking keys", () => {
    expect(placeholderReason("key:with:colons")).toBe('it contains ":"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal a host leaves for an unset setting
    expect(placeholderReason("${user_config.api_key}")).not.toBeNull();
    expect(placeholderReason("vk_4f9a0c2e8b")).toBeNull();
  });
});
