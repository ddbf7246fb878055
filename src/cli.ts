// The program: argv/env → config → (sandbox) → Vagon client → the chosen transport. Bundled into
// dist/server.cjs, which the installed command (src/launcher.ts → dist/cli.js) runs.
// In stdio mode stdout belongs to the MCP protocol: everything human goes to stderr.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Config,
  ConfigError,
  DEFAULT_DRAIN_SECONDS,
  HELP_TEXT,
  type LoadedConfig,
  loadConfig,
  packageVersion,
} from "./config.js";
import { removeIfHoldsNothing } from "./empty-folders.js";
import { keepRoomAfterCollections } from "./heap-growth.js";
import { createLifecycle } from "./lifecycle.js";
import { sweepLeftovers } from "./local/leftovers.js";
import { createLogger, type Logger } from "./log.js";
import { createMcpServer } from "./mcp/server.js";
import { createVagonClient } from "./vagon/client.js";
import { errorMessage } from "./vagon/retry.js";

// The sandbox and the transports are imported where they are used: a stdio launch by a host,
// the common case, loads neither the sandbox nor the HTTP stack, and starts that much sooner.

/** Give cleanup this long (after an HTTP server's drain bound) before exiting anyway. */
const SHUTDOWN_GRACE_MS = 5000;
/** After an HTTP drain, calls it had to end get this long to clean up after themselves. */
const ABORTED_CALLS_CLEANUP_MS = 3000;

type Cleanup = () => Promise<void>;

/**
 * Runs cleanups (last registered first) once, on SIGINT/SIGTERM or when asked, then exits.
 * A second signal exits at once. `allowMs` lengthens the grace for a drain that needs longer.
 */
function createShutdown(logger: Logger) {
  const cleanups: Cleanup[] = [];
  let shuttingDown = false;
  let extraGraceMs = 0;
  // A signal during start-up waits for it (bounded): what start-up is still creating (the
  // sandbox's storage, the fresh folder) is registered for cleanup only once it exists.
  let startupDone: Promise<unknown> = Promise.resolve();
  const shutdown = async (reason: string, exitCode = 0) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.debug(`shutting down: ${reason}`);
    setTimeout(() => {
      logger.warn("shutdown took too long; exiting anyway");
      process.exit(exitCode || 1);
    }, SHUTDOWN_GRACE_MS + extraGraceMs).unref();
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.warn(`cleanup failed: ${errorMessage(error)}`));
    }
    process.exit(exitCode);
  };
  let signalled = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (shuttingDown || signalled) process.exit(130);
      signalled = true;
      void Promise.race([startupDone, sleep(SHUTDOWN_GRACE_MS)]).then(() => shutdown(signal));
    });
  }
  return {
    add: (cleanup: Cleanup) => cleanups.push(cleanup),
    /** Signals wait for this before cleaning up. */
    startingUp: (startup: Promise<unknown>) => {
      startupDone = startup.catch(() => {});
    },
    allowMs: (ms: number) => {
      extraGraceMs = Math.max(extraGraceMs, ms);
    },
    shutdown,
  };
}

function connectionHelp(
  mcpUrl: string,
  options: { sandbox: boolean; token: boolean; roots: string[] },
): string {
  const name = options.sandbox ? "vagon-files-sandbox" : "vagon-files";
  const server: Record<string, unknown> = { type: "http", url: mcpUrl };
  // Hosts that read mcp.json (Claude Code, Cursor) expand ${VAR} from the environment.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder the host fills in, not ours
  if (options.token) server.headers = { Authorization: "Bearer ${VAGON_MCP_HTTP_TOKEN}" };
  const snippet = JSON.stringify({ mcpServers: { [name]: server } }, null, 2);
  const header = options.token ? ' --header "Authorization: Bearer $VAGON_MCP_HTTP_TOKEN"' : "";
  const lines = [
    "",
    options.sandbox
      ? "vagon-files-mcp is serving the embedded Vagon sandbox: demo data, no account, nothing leaves this machine."
      : "vagon-files-mcp is serving Vagon Files over HTTP.",
    "",
    `  MCP endpoint: ${mcpUrl}`,
    options.roots.length > 0
      ? `  Local folder:  ${options.roots.join(", ")} (uploads from disk, downloads)`
      : "  Local folder:  none (uploads from disk and saving downloads are off until --root is set)",
    "",
    "Connect from Claude Code:",
    `  claude mcp add --transport http ${name} ${mcpUrl}${header}`,
    "",
    "Or add this to your host's mcp.json (Cursor, Claude Code .mcp.json, ...):",
    ...snippet.split("\n").map((line) => `  ${line}`),
    "",
    "Press Ctrl+C to stop.",
    "",
  ];
  return lines.join("\n");
}

/** OAuth mode: hosts connect through the public URL and sign in; there is no header to configure. */
function oauthConnectionHelp(localUrl: string, publicUrl: string, issuer: string): string {
  return [
    "",
    "vagon-files-mcp is serving Vagon Files over HTTP as an OAuth resource server.",
    "",
    `  MCP endpoint: ${localUrl} (put TLS in front; the public URL must reach it)`,
    `  Public URL:   ${publicUrl}`,
    `  Sign-in:      ${issuer} (scopes files:read, files:write, files:delete)`,
    "",
    "Add the public URL as a custom connector in claude.ai or as a connector in ChatGPT;",
    "the host discovers the sign-in from the server. See README, Remote (OAuth).",
    "",
    "Press Ctrl+C to stop.",
    "",
  ].join("\n");
}

async function serve(initialConfig: Config): Promise<void> {
  keepRoomAfterCollections();
  let config = initialConfig;
  const logger = createLogger({ level: config.logLevel });
  logger.addSecret(config.apiSecret);
  if (config.http.token) logger.addSecret(config.http.token);
  const { add, allowMs, shutdown, startingUp } = createShutdown(logger);
  // One for the process: a shutdown tells every session's tools to wrap up and waits for them.
  const lifecycle = createLifecycle();
  let startupFinished = () => {};
  startingUp(new Promise<void>((resolve) => (startupFinished = resolve)));

  try {
    if (config.sandbox.enabled) {
      const { startSandbox } = await import("./sandbox/index.js");
      const { zipJobMs } = config.sandbox;
      const sandbox = await startSandbox({
        shape: config.sandbox.shape,
        logger,
        // A third queued, two thirds zipping, as the sandbox's own default.
        ...(zipJobMs !== undefined
          ? {
              zipJob: {
                pendingMs: Math.round(zipJobMs / 3),
                processingMs: zipJobMs - Math.round(zipJobMs / 3),
              },
            }
          : {}),
      });
      add(() => sandbox.close());
      logger.addSecret(sandbox.apiSecret);
      config = { ...config, apiUrl: sandbox.apiUrl, apiKey: sandbox.apiKey, apiSecret: sandbox.apiSecret };
      logger.info(`using the embedded Vagon sandbox at ${sandbox.apiUrl} (${config.sandbox.shape} shape)`);
    }

    const client = createVagonClient({
      apiUrl: config.apiUrl,
      apiKey: config.apiKey,
      apiSecret: config.apiSecret,
      logger,
    });
    add(() => client.close());

    if (config.sandbox.enabled && config.roots.length === 0) {
      // Every story should work out of the box on the sandbox, saving downloads included.
      const root = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-sandbox-files-"));
      config = { ...config, roots: [root] };
      // Registered before the transport, so it runs after the transport has stopped writing.
      add(() => keepOnlyWhatWasSaved(root));
      logger.info(`no --root given: local files (uploads from disk, downloads) use the fresh folder ${root}`);
    } else if (config.roots.length === 0) {
      logger.info(
        "no local root configured: uploads from disk and saving downloads are off until --root is set",
      );
    }
    await warnAboutMissingRoots(config.roots, logger);
    await sweepLeftoversAtStart(config, logger);

    if (config.transport === "stdio") {
      const { startStdioServer } = await import("./transports/stdio.js");
      const session = await startStdioServer({
        config,
        client,
        logger,
        lifecycle,
        createServer: createMcpServer,
      });
      add(() => session.close());
      void session.closed.then(() => shutdown("the MCP host closed stdin"));
      return;
    }

    const { startHttpServer } = await import("./transports/http.js");
    const drainMs = (config.http.drainSeconds ?? DEFAULT_DRAIN_SECONDS) * 1000;
    const http = await startHttpServer({
      config,
      client,
      logger,
      lifecycle,
      drainMs,
      createServer: createMcpServer,
    });
    allowMs(drainMs + ABORTED_CALLS_CLEANUP_MS);
    // A stop (SIGTERM from an orchestrator, Ctrl+C) drains: see startHttpServer's drain().
    add(async () => {
      await http.drain();
      await Promise.race([lifecycle.idle(), sleep(ABORTED_CALLS_CLEANUP_MS)]);
    });
    const { oauth } = config.http;
    process.stderr.write(
      oauth
        ? oauthConnectionHelp(http.url, oauth.publicUrl, oauth.issuer)
        : connectionHelp(http.url, {
            sandbox: config.sandbox.enabled,
            token: !!config.http.token,
            roots: config.roots,
          }),
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      logger.error(`port ${config.http.port} on ${config.http.host} is in use; pick another with --port N`);
    } else if (code === "EADDRNOTAVAIL") {
      logger.error(`${config.http.host} is not an address of this machine; pick another with --host`);
    } else {
      logger.error(`could not start: ${errorMessage(error)}`);
    }
    await shutdown("start-up failed", 1);
  } finally {
    startupFinished();
  }
}

/**
 * The fresh folder `--sandbox` made goes at exit unless the user saved something there (a host
 * that starts a server per conversation would pile them up); what holds files stays, and the
 * exit message says where.
 */
async function keepOnlyWhatWasSaved(root: string): Promise<void> {
  if (await removeIfHoldsNothing(root)) return;
  process.stderr.write(`vagon-files-mcp: the files saved in this session stay in ${root}\n`);
}

/**
 * A crash (SIGKILL, power loss) leaves `.partial` files and half-extracted folders: sweep this
 * server's own stale ones from the roots and the default download folder before serving. Other
 * folders are swept before the next download into them.
 */
async function sweepLeftoversAtStart(config: Config, logger: Logger): Promise<void> {
  const firstRoot = config.roots[0];
  const folders = [...config.roots];
  if (config.downloadDir) folders.push(config.downloadDir);
  else if (firstRoot) folders.push(path.join(firstRoot, "vagon-downloads"));
  let removed = 0;
  for (const folder of new Set(folders)) removed += (await sweepLeftovers(folder)).length;
  if (removed > 0) logger.info(`removed ${removed} stale leftovers of interrupted transfers`);
}

/** A configured root that isn't a folder allows nothing: say so now, not at the first download. */
async function warnAboutMissingRoots(roots: string[], logger: Logger): Promise<void> {
  for (const root of roots) {
    const stats = await fs.stat(root).catch(() => null);
    if (stats?.isDirectory()) continue;
    logger.warn(
      `the root ${root} ${stats ? "is not a folder" : "does not exist"}, so it allows nothing; create it, or fix --root / VAGON_MCP_ROOTS`,
    );
  }
}

async function serveSandboxOnly(loaded: Extract<LoadedConfig, { command: "sandbox" }>): Promise<void> {
  const logger = createLogger({ level: loaded.logLevel });
  const { add } = createShutdown(logger);
  const { startSandbox } = await import("./sandbox/index.js");
  const sandbox = await startSandbox({ ...loaded.sandbox, logger });
  add(() => sandbox.close());
  const text = [
    `Vagon sandbox API listening (${loaded.sandbox.shape} shape, seeded demo organization).`,
    "",
    `  URL:    ${sandbox.apiUrl}`,
    `  Key:    ${sandbox.apiKey}`,
    `  Secret: ${sandbox.apiSecret}`,
    "",
    "Point the MCP server (or any Vagon API client) at it:",
    `  export VAGON_API_URL=${sandbox.apiUrl}`,
    `  export VAGON_API_KEY=${sandbox.apiKey}`,
    `  export VAGON_API_SECRET=${sandbox.apiSecret}`,
    "",
    "Press Ctrl+C to stop.",
    "",
  ].join("\n");
  process.stdout.write(text); // stdout-ok: this command speaks no MCP
}

async function main(): Promise<void> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`vagon-files-mcp: ${error.message}\n`);
    process.exit(2);
  }
  switch (loaded.command) {
    case "help":
      process.stdout.write(HELP_TEXT); // stdout-ok: asked for on the command line
      return;
    case "version":
      process.stdout.write(`${packageVersion()}\n`); // stdout-ok: asked for on the command line
      return;
    case "sandbox":
      return serveSandboxOnly(loaded);
    case "serve":
      return serve(loaded.config);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`vagon-files-mcp: ${errorMessage(error)}\n`);
  process.exit(1);
});
