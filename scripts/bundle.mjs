// Builds the MCP Bundle Claude Desktop installs with a double-click: dist/vagon-files-mcp.mcpb,
// packed and validated with @anthropic-ai/mcpb. Run `npm run build` first (`npm run bundle` does).
// The bundle holds the esbuild output as it is (one file with every dependency, no
// node_modules), a package.json for the version and module type, an icon drawn here, and a
// manifest whose tool list comes from the built server's own tools/list, so it can't drift.
// Beside it goes dist/server.json: the checked-in server.json with this bundle's SHA-256, the
// registry entry to publish together with the release asset.
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync } from "node:zlib";
import { packExtension } from "@anthropic-ai/mcpb/cli";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const root = fileURLToPath(new URL("..", import.meta.url));
export const BUNDLE_PATH = path.join(root, "dist", "vagon-files-mcp.mcpb");

/** The settings Claude Desktop asks for; none is required (the sandbox needs none). */
const USER_CONFIG = {
  sandbox: {
    type: "boolean",
    title: "Try it with the built-in sandbox (no account)",
    description:
      "Serve an embedded copy of the Vagon Files API with demo data instead of your account. Nothing leaves this computer.",
    default: false,
  },
  api_key: {
    type: "string",
    title: "Vagon API key",
    description: "Your organization's API key (Vagon dashboard, Settings). Not needed with the sandbox.",
    sensitive: true,
    required: false,
  },
  api_secret: {
    type: "string",
    title: "Vagon API secret",
    description: "The secret that goes with the API key. Not needed with the sandbox.",
    sensitive: true,
    required: false,
  },
  folders: {
    type: "directory",
    title: "Local folders",
    description:
      "Folders the server may upload from and save downloads into. None: uploading from disk and saving are off (with the sandbox, a fresh temporary folder is used).",
    multiple: true,
    required: false,
  },
  read_only: {
    type: "boolean",
    title: "Read-only",
    description: "Offer no tool that changes anything in Vagon Files (upload, create, delete).",
    default: false,
  },
};

// A setting left empty reaches the server as the literal ${user_config.x}, which the CLI takes
// as unset. Folders are trailing arguments, which the CLI takes as roots.
/** How the host writes a setting into the launch command: `${user_config.KEY}`. */
const setting = (key) => `\${user_config.${key}}`;
const MCP_CONFIG = {
  command: "node",
  args: [`\${__dirname}/dist/cli.js`, setting("folders")],
  env: {
    VAGON_API_KEY: setting("api_key"),
    VAGON_API_SECRET: setting("api_secret"),
    VAGON_MCP_READ_ONLY: setting("read_only"),
    VAGON_MCP_SANDBOX: setting("sandbox"),
  },
};

/** The tools the built server lists, each with the first line of its description. */
async function listTools() {
  const client = new Client({ name: "vagon-files-mcp-bundle", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [path.join(root, "dist", "cli.js"), "--sandbox", "--log-level", "error"],
      stderr: "ignore",
    }),
  );
  try {
    const { tools } = await client.listTools();
    return tools.map((tool) => ({ name: tool.name, description: (tool.description ?? "").split("\n")[0] }));
  } finally {
    await client.close();
  }
}

/** A square PNG (512 px, the size Claude Desktop prefers): a white folder on a violet rounded square. */
export function drawIcon(size = 512) {
  const inRoundedRect = (x, y, left, top, right, bottom, radius) => {
    if (x < left || x >= right || y < top || y >= bottom) return false;
    const cx = Math.min(Math.max(x, left + radius), right - radius - 1);
    const cy = Math.min(Math.max(y, top + radius), bottom - radius - 1);
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
  };
  const s = size / 128;
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x += 1) {
      let pixel = [0, 0, 0, 0];
      if (inRoundedRect(x, y, 0, 0, size, size, 24 * s)) pixel = [91, 63, 214, 255];
      const tab = inRoundedRect(x, y, 24 * s, 34 * s, 60 * s, 60 * s, 5 * s);
      const body = inRoundedRect(x, y, 24 * s, 42 * s, 104 * s, 96 * s, 7 * s);
      if (tab || body) pixel = [255, 255, 255, 255];
      row.set(pixel, 1 + x * 4);
    }
    rows.push(row);
  }
  const chunk = (type, data) => {
    const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typeAndData));
    return Buffer.concat([length, typeAndData, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Builds the bundle from dist/ into `outputPath`; returns its manifest and size. */
export async function buildBundle({ outputPath = BUNDLE_PATH } = {}) {
  const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
  await stat(path.join(root, "dist", "server.cjs")).catch(() => {
    throw new Error("dist/ is missing: run `npm run build` first (or `npm run bundle`, which does).");
  });
  const manifest = {
    $schema:
      "https://raw.githubusercontent.com/modelcontextprotocol/mcpb/main/schemas/mcpb-manifest-v0.3.schema.json",
    manifest_version: "0.3",
    name: pkg.name,
    display_name: "Vagon Files",
    version: pkg.version,
    description: pkg.description,
    long_description:
      "Browse, upload, download and clean up the files of Vagon cloud computers, and fetch the outputs of agent tasks that ran on them. Turn on the built-in sandbox to try it without an account.",
    author: { name: "vagon-files-mcp contributors" },
    icon: "icon.png",
    server: { type: "node", entry_point: "dist/cli.js", mcp_config: MCP_CONFIG },
    tools: await listTools(),
    prompts_generated: true,
    keywords: ["vagon", "files", "cloud computer", "storage", "download", "upload"],
    license: pkg.license,
    compatibility: {
      platforms: ["darwin", "win32", "linux"],
      runtimes: { node: pkg.engines.node },
    },
    user_config: USER_CONFIG,
  };

  const staging = await mkdtemp(path.join(tmpdir(), "vagon-files-mcpb-"));
  try {
    await mkdir(path.join(staging, "dist"));
    for (const file of ["cli.js", "server.cjs", "grep-worker.cjs", "THIRD-PARTY-LICENSES.txt", "views"]) {
      await cp(path.join(root, "dist", file), path.join(staging, "dist", file), { recursive: true });
    }
    await cp(path.join(root, "LICENSE"), path.join(staging, "LICENSE"));
    // The server reads its version here, and Node takes dist/cli.js for an ES module by it.
    const runtimePackage = { name: pkg.name, version: pkg.version, type: "module", license: pkg.license };
    await writeFile(path.join(staging, "package.json"), `${JSON.stringify(runtimePackage, null, 2)}\n`);
    await writeFile(path.join(staging, "icon.png"), drawIcon());
    await writeFile(path.join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    // Packing validates the manifest (and the icon) first.
    if (!(await packExtension({ extensionPath: staging, outputPath, silent: true }))) {
      throw new Error("mcpb could not pack the bundle; its errors are printed above.");
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  // The registry entry to publish with this very file: server.json with the bundle's digest.
  const bundleBytes = await readFile(outputPath);
  const sha256 = createHash("sha256").update(bundleBytes).digest("hex");
  const serverJson = JSON.parse(await readFile(path.join(root, "server.json"), "utf8"));
  for (const entry of serverJson.packages) {
    if (entry.registryType === "mcpb") entry.fileSha256 = sha256;
  }
  const serverJsonPath = path.join(path.dirname(outputPath), "server.json");
  await writeFile(serverJsonPath, `${JSON.stringify(serverJson, null, 2)}\n`);
  return { manifest, bytes: bundleBytes.length, sha256, serverJsonPath };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { manifest, bytes } = await buildBundle();
  const relative = path.relative(process.cwd(), BUNDLE_PATH);
  // stdout-ok: a build script reporting what it made
  process.stdout.write(
    `${relative}: ${manifest.name} ${manifest.version}, ${manifest.tools.length} tools, ${(bytes / 1024 / 1024).toFixed(2)} MB\n`,
  );
}
