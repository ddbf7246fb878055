import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Config,
  ConfigError,
  DEFAULT_API_URL,
  FLAG_NAMES,
  HELP_TEXT,
  isLoopbackHost,
  loadConfig,
  packageVersion,
} from "../../src/config.js";

/** What a bundle host leaves in place of a setting the user didn't fill in. */
const unset = (key: string) => `\${user_config.${key}}`;

const credentials = { VAGON_API_KEY: "vk_live_key", VAGON_API_SECRET: "vs_live_secret" };

function serveConfig(argv: string[], env: NodeJS.ProcessEnv = credentials): Config {
  const loaded = loadConfig(argv, env);
  if (loaded.command !== "serve") throw new Error(`expected serve, got ${loaded.command}`);
  return loaded.config;
}

function configError(argv: string[], env: NodeJS.ProcessEnv = credentials): string {
  try {
    loadConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error(`loadConfig(${argv.join(" ")}) did not fail`);
}

describe("loadConfig", () => {
  it("starts a stdio server against Vagon with sensible defaults when only credentials are set", () => {
    expect(serveConfig([])).toEqual({
      apiUrl: DEFAULT_API_URL,
      apiKey: "vk_live_key",
      apiSecret: "vs_live_secret",
      roots: [],
      downloadDir: null,
      readOnly: false,
      logLevel: "info",
      transport: "stdio",
      http: {
        host: "127.0.0.1",
        port: 8808,
        token: null,
        stateless: false,
        drainSeconds: 25,
        allowUnconfirmedDeletes: false,
        allowForeignCancel: false,
      },
      sandbox: { enabled: false, shape: "jsonapi" },
      uploadConcurrency: 4,
    });
  });

  it("lets flags win over the environment", () => {
    const env = {
      ...credentials,
      VAGON_API_URL: "https://env.example.com/v1",
      VAGON_MCP_ROOTS: "/env/root",
      VAGON_MCP_DOWNLOAD_DIR: "/env/root/downloads",
      VAGON_MCP_LOG_LEVEL: "warn",
    };
    const config = serveConfig(
      [
        "--api-url",
        "https://flag.example.com/organization-management/v1/",
        "--root",
        "/flag/a",
        "--root",
        "/flag/b",
        "--download-dir",
        "/flag/b/out",
        "--log-level",
        "debug",
      ],
      env,
    );
    expect(config.apiUrl).toBe("https://flag.example.com/organization-management/v1");
    expect(config.roots).toEqual([path.resolve("/flag/a"), path.resolve("/flag/b")]);
    expect(config.downloadDir).toBe(path.resolve("/flag/b/out"));
    expect(config.logLevel).toBe("debug");

    const fromEnv = serveConfig([], env);
    expect(fromEnv.apiUrl).toBe("https://env.example.com/v1");
    expect(fromEnv.roots).toEqual([path.resolve("/env/root")]);
    expect(fromEnv.downloadDir).toBe(path.resolve("/env/root/downloads"));
    expect(fromEnv.logLevel).toBe("warn");
  });

  it("splits VAGON_MCP_ROOTS on the platform's path delimiter and makes every root absolute", () => {
    const roots = ["/data/projects", "relative/renders", "", "/data/projects"].join(path.delimiter);
    const config = serveConfig([], { ...credentials, VAGON_MCP_ROOTS: roots });
    expect(config.roots).toEqual([path.resolve("/data/projects"), path.resolve("relative/renders")]);
    expect(config.roots.every((root) => path.isAbsolute(root))).toBe(true);
  });

  it("refuses to start without credentials and says how to set them or use the sandbox", () => {
    const message = configError([], {});
    expect(message).toContain("VAGON_API_KEY");
    expect(message).toContain("VAGON_API_SECRET");
    expect(message).toContain("--sandbox");
    expect(configError([], { VAGON_API_KEY: "vk" })).toMatch(/^Missing VAGON_API_SECRET/);
  });

  it("needs no credentials with --sandbox, and takes the response shape", () => {
    const config = serveConfig(["--sandbox", "--sandbox-shape", "flat"], {});
    expect(config.sandbox).toEqual({ enabled: true, shape: "flat" });
    expect(configError(["--sandbox-shape", "flat"])).toContain("--sandbox");
    expect(configError(["--sandbox", "--sandbox-shape", "xml"], {})).toContain("jsonapi, flat");
    expect(configError(["--sandbox", "--api-url", "https://x.example"], {})).toContain("--api-url");
  });

  it("refuses a non-loopback HTTP host without VAGON_MCP_HTTP_TOKEN", () => {
    const message = configError(["--http", "--host", "0.0.0.0"]);
    expect(message).toContain("VAGON_MCP_HTTP_TOKEN");
    expect(message).toContain("0.0.0.0");

    const token = "a-long-random-token-0123456789";
    const config = serveConfig(["--http", "--host", "0.0.0.0", "--port", "9000", "--stateless"], {
      ...credentials,
      VAGON_MCP_HTTP_TOKEN: token,
    });
    expect(config.http).toEqual({
      host: "0.0.0.0",
      port: 9000,
      token,
      stateless: true,
      drainSeconds: 25,
      allowUnconfirmedDeletes: false,
      allowForeignCancel: false,
    });
    expect(configError(["--http"], { ...credentials, VAGON_MCP_HTTP_TOKEN: "short" })).toContain("too short");
    for (const host of ["localhost", "127.0.0.1", "::1", "127.1.2.3"]) {
      expect(serveConfig(["--http", "--host", host]).transport).toBe("http");
    }
  });

  it("tells loopback hosts from the rest", () => {
    expect(["localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.9"].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(["0.0.0.0", "::", "10.0.0.5", "example.com", "127.0.0.1.evil.com"].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("accepts a download dir only inside a root", () => {
    const root = path.resolve("/data/vagon");
    expect(serveConfig(["--root", root, "--download-dir", path.join(root, "in", "here")]).downloadDir).toBe(
      path.join(root, "in", "here"),
    );
    expect(configError(["--root", root, "--download-dir", path.resolve("/data/vagon-other")])).toContain(
      "outside every root",
    );
    expect(configError(["--root", root, "--download-dir", path.join(root, "..", "escape")])).toContain(
      "outside every root",
    );
    expect(configError(["--download-dir", "/tmp/x"])).toContain("--root");
  });

  it("reads read-only from the flag or VAGON_MCP_READ_ONLY=1, and rejects nonsense values", () => {
    expect(serveConfig(["--read-only"]).readOnly).toBe(true);
    expect(serveConfig([], { ...credentials, VAGON_MCP_READ_ONLY: "1" }).readOnly).toBe(true);
    expect(serveConfig([], { ...credentials, VAGON_MCP_READ_ONLY: "0" }).readOnly).toBe(false);
    expect(configError([], { ...credentials, VAGON_MCP_READ_ONLY: "maybe" })).toContain(
      "VAGON_MCP_READ_ONLY=1",
    );
  });

  it("reads the operator's opt-ins from their flags or environment variables, for HTTP only", () => {
    const both = serveConfig([
      "--http",
      "--stateless",
      "--allow-unconfirmed-deletes",
      "--allow-foreign-cancel",
    ]);
    expect(both.http).toMatchObject({ allowUnconfirmedDeletes: true, allowForeignCancel: true });
    const fromEnv = serveConfig(["--http"], {
      ...credentials,
      VAGON_MCP_ALLOW_UNCONFIRMED_DELETES: "1",
      VAGON_MCP_ALLOW_FOREIGN_CANCEL: "1",
    });
    expect(fromEnv.http).toMatchObject({ allowUnconfirmedDeletes: true, allowForeignCancel: true });
    expect(configError(["--allow-unconfirmed-deletes"])).toContain("--http");
    expect(configError(["--allow-foreign-cancel"])).toContain("--http");
  });

  it("validates numbers, levels and URLs with a message naming the culprit", () => {
    expect(serveConfig(["--upload-concurrency", "8"]).uploadConcurrency).toBe(8);
    expect(configError(["--upload-concurrency", "0"])).toContain("--upload-concurrency");
    expect(configError(["--http", "--port", "80a"])).toContain("--port");
    expect(configError(["--http", "--port", "70000"])).toContain("65535");
    expect(configError(["--log-level", "verbose"])).toContain("error, warn, info, debug");
    expect(serveConfig(["--http", "--drain-seconds", "5"]).http.drainSeconds).toBe(5);
    expect(serveConfig(["--http"], { ...credentials, VAGON_MCP_DRAIN_SECONDS: "40" }).http.drainSeconds).toBe(
      40,
    );
    expect(configError(["--http", "--drain-seconds", "0"])).toContain("--drain-seconds");
    expect(configError(["--drain-seconds", "5"])).toContain("--http");
    expect(configError([], { ...credentials, VAGON_API_URL: "ftp://example.com" })).toContain(
      "VAGON_API_URL",
    );
  });

  it("refuses unknown options, stray arguments and HTTP-only flags without --http", () => {
    expect(configError(["--verbose"])).toContain("--help");
    expect(configError(["serve-please"])).toContain("Unknown command");
    expect(configError(["--port", "9000"])).toContain("--http");
    expect(configError(["--stateless"])).toContain("--http");
  });

  it("takes trailing folders as roots, as an MCP Bundle passes the folders the user picked", () => {
    const picked = [path.resolve("/srv/projects"), path.resolve("/home/ada/My Files")];
    expect(serveConfig(picked).roots).toEqual(picked);
    expect(serveConfig(["--root", "/data", "./relative"], credentials).roots).toEqual([
      path.resolve("/data"),
      path.resolve("relative"),
    ]);
    // Folders on the command line replace the env list, as --root does.
    expect(serveConfig(["/only"], { ...credentials, VAGON_MCP_ROOTS: "/from-env" }).roots).toEqual([
      path.resolve("/only"),
    ]);
    // A bare word is a command, not a folder: a typo isn't taken for a root that doesn't exist.
    expect(configError(["sandbx"])).toContain("./sandbx");
  });

  it("takes a placeholder the host left unsubstituted for an unset setting, never as a value", () => {
    // What a bundle host launches when the user filled in nothing: every placeholder stays literal.
    const untouched = {
      VAGON_API_KEY: unset("api_key"),
      VAGON_API_SECRET: unset("api_secret"),
      VAGON_MCP_READ_ONLY: unset("read_only"),
      VAGON_MCP_SANDBOX: unset("sandbox"),
    };
    expect(configError([unset("folders")], untouched)).toContain(
      "Missing VAGON_API_KEY and VAGON_API_SECRET",
    );
    const sandboxOn = serveConfig([unset("folders")], { ...untouched, VAGON_MCP_SANDBOX: "true" });
    expect(sandboxOn).toMatchObject({ roots: [], readOnly: false, sandbox: { enabled: true } });
    const keysAndFolder = serveConfig(["/work", unset("folders")], {
      ...untouched,
      VAGON_API_KEY: "vk_live_key",
      VAGON_API_SECRET: "vs_live_secret",
      VAGON_MCP_READ_ONLY: "true",
      VAGON_MCP_SANDBOX: "false",
    });
    expect(keysAndFolder).toMatchObject({
      apiKey: "vk_live_key",
      roots: [path.resolve("/work")],
      readOnly: true,
      sandbox: { enabled: false },
    });
  });

  it("starts the sandbox alone with the sandbox command", () => {
    expect(loadConfig(["sandbox", "--port", "4010", "--sandbox-shape", "flat"], {})).toEqual({
      command: "sandbox",
      logLevel: "info",
      sandbox: { host: "127.0.0.1", port: 4010, shape: "flat" },
    });
    expect(loadConfig(["sandbox"], {})).toMatchObject({ sandbox: { port: 0 } });
    expect(configError(["sandbox", "--http"], {})).toContain("--http");
  });

  it("answers --help and --version before checking anything else", () => {
    expect(loadConfig(["--help"], {})).toEqual({ command: "help" });
    expect(loadConfig(["-h"], {})).toEqual({ command: "help" });
    expect(loadConfig(["--version"], {})).toEqual({ command: "version" });
    const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(packageVersion()).toBe(packageJson.version);
  });
});

describe("HELP_TEXT", () => {
  it("documents every flag and every environment variable", () => {
    expect(FLAG_NAMES.length).toBeGreaterThan(10);
    for (const flag of FLAG_NAMES) expect(HELP_TEXT).toContain(`--${flag}`);
    for (const name of [
      "VAGON_API_KEY",
      "VAGON_API_SECRET",
      "VAGON_API_URL",
      "VAGON_MCP_ROOTS",
      "VAGON_MCP_DOWNLOAD_DIR",
      "VAGON_MCP_READ_ONLY",
      "VAGON_MCP_HTTP_TOKEN",
      "VAGON_MCP_LOG_LEVEL",
      "VAGON_MCP_ALLOW_UNCONFIRMED_DELETES",
      "VAGON_MCP_ALLOW_FOREIGN_CANCEL",
    ]) {
      expect(HELP_TEXT).toContain(name);
    }
    expect(HELP_TEXT).toContain(DEFAULT_API_URL);
    expect(HELP_TEXT).toContain("8808");
    expect(HELP_TEXT).toContain("vagon-files-mcp sandbox");
  });
});
