// The configuration, as one zod-validated object. This is the single place the
// environment is read (loadConfig); everything else receives a Config.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { isPathWithinAllowedDirectories } from "./local/containment.js";
import { LOG_LEVELS, type LogLevel } from "./log.js";

export type ResponseShape = "jsonapi" | "flat";

export interface Config {
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Local folders the server may read uploads from and write downloads to (absolute). */
  roots: string[];
  /** Default download folder; must lie inside a root. null = `<first root>/vagon-downloads`. */
  downloadDir: string | null;
  readOnly: boolean;
  logLevel: LogLevel;
  transport: "stdio" | "http";
  http: {
    host: string;
    port: number;
    token: string | null;
    stateless: boolean;
    /** On SIGTERM, calls in flight get this long to finish; default 25. */
    drainSeconds?: number;
    /**
     * Deletes a stateless replica can't confirm with the user (an `initialize`-era client) run
     * unasked instead of being refused: the operator's opt-in for unattended automation.
     */
    allowUnconfirmedDeletes?: boolean;
    /** cancel_download may abort zip jobs this server didn't start for the caller. */
    allowForeignCancel?: boolean;
    /** Set: the server is an OAuth 2.1 resource server (src/transports/oauth/) instead of a static token. */
    oauth?: OAuthConfig;
  };
  sandbox: {
    enabled: boolean;
    shape: ResponseShape;
    /** How long a sandbox zip job takes, queued plus zipping (default: the sandbox's 3 s). */
    zipJobMs?: number;
  };
  /** Part uploads in flight at once. */
  uploadConcurrency: number;
}

export interface OAuthConfig {
  /** The authorization server whose access tokens are accepted (exactly as its metadata says). */
  issuer: string;
  /** The server's public MCP URL: the metadata's `resource`, and the audience tokens must carry. */
  publicUrl: string;
  /** One more accepted audience, for providers that can't mint the URL (e.g. api://vagon-files). */
  audience: string | null;
}

export const DEFAULT_API_URL = "https://api.vagon.io/organization-management/v1";
export const DEFAULT_HTTP_HOST = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 8808;
export const DEFAULT_UPLOAD_CONCURRENCY = 4;
export const MAX_UPLOAD_CONCURRENCY = 16;
export const DEFAULT_DRAIN_SECONDS = 25;
/** A shorter bearer token is too easy to guess for a server others can reach. */
export const MIN_HTTP_TOKEN_LENGTH = 16;

/** What the command line asked for. */
export type LoadedConfig =
  | { command: "help" }
  | { command: "version" }
  | { command: "serve"; config: Config }
  | {
      command: "sandbox";
      sandbox: { host: string; port: number; shape: ResponseShape };
      logLevel: LogLevel;
    };

/** A configuration mistake; `message` is one line that says how to fix it. */
/**
 * Why a credential can't be real, or null: copied from mcp.json.example ("<your key>"), or holding
 * whitespace or ":", which no key has (":" separates the fields of the signed header). Without
 * this every call would fail its signature and be blamed on the clock.
 */
export function placeholderReason(value: string): string | null {
  if (/[<>]/.test(value) || /^\$\{.*\}$/.test(value))
    return 'it looks like "<your key>" from mcp.json.example';
  if (/\s/.test(value)) return "it contains a space";
  if (value.includes(":")) return 'it contains ":"';
  return null;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const HELP_TEXT = `vagon-files-mcp — an MCP server for Vagon Files (browse, upload, download, clean up)

Usage:
  vagon-files-mcp [options] [DIR ...]       stdio MCP server (how MCP hosts launch it); each DIR is a root
  vagon-files-mcp --http [options]          Streamable HTTP MCP server at http://HOST:PORT/mcp
  vagon-files-mcp --sandbox [--http]        the same server on the embedded Vagon sandbox (no account)
  vagon-files-mcp sandbox [--port N]        the sandbox API alone; prints its URL, key and secret

Options (flags win over environment variables):
  --api-url URL            Vagon API base URL. Env VAGON_API_URL.
                           Default ${DEFAULT_API_URL}
  --root DIR               Local folder the server may read uploads from and write downloads to.
                           Repeatable. Env VAGON_MCP_ROOTS (separated by "${path.delimiter}"); any --root
                           replaces the env list, as do folders given as arguments. Over stdio the client's MCP roots are added; over
                           HTTP they can only narrow these, and with none HTTP has no local disk.
                           Without any root, local-disk features refuse; everything else works.
  --download-dir DIR       Default folder for downloads; must lie inside a root.
                           Env VAGON_MCP_DOWNLOAD_DIR. Default <first root>/vagon-downloads
  --read-only              Register no tool that changes anything remotely (upload, create,
                           delete, abort). Env VAGON_MCP_READ_ONLY=1
  --log-level LEVEL        error | warn | info | debug (default info). Env VAGON_MCP_LOG_LEVEL.
                           Logs go to stderr and to MCP logging notifications, never to stdout.
  --upload-concurrency N   Part uploads in flight at once, 1-${MAX_UPLOAD_CONCURRENCY} (default ${DEFAULT_UPLOAD_CONCURRENCY}).
  --http                   Serve Streamable HTTP at /mcp instead of stdio.
  --host HOST              HTTP bind address (default ${DEFAULT_HTTP_HOST}). A non-loopback address
                           requires VAGON_MCP_HTTP_TOKEN or --oauth-issuer.
  --port N                 HTTP port (default ${DEFAULT_HTTP_PORT}); with "sandbox", the sandbox's port
                           (default: a free one).
  --stateless              HTTP without MCP session state, so identical replicas can sit behind a
                           load balancer (long jobs continue with get_download).
  --allow-unconfirmed-deletes
                           With --stateless, delete_file and delete_files confirm run without asking
                           the user (a stateless replica can't ask an initialize-era client; without
                           this flag such deletes are refused). For unattended automation; stated
                           in the server's instructions. Env VAGON_MCP_ALLOW_UNCONFIRMED_DELETES=1
  --allow-foreign-cancel   Let cancel_download abort zip jobs this server didn't start for the
                           caller (by default HTTP callers may cancel only their own).
                           Env VAGON_MCP_ALLOW_FOREIGN_CANCEL=1
  --drain-seconds N        On SIGTERM, let HTTP calls in flight finish for up to N s (default ${DEFAULT_DRAIN_SECONDS});
                           zip waits answer with their download_id before then. Env VAGON_MCP_DRAIN_SECONDS.
  --oauth-issuer URL       Accept OAuth access tokens from this issuer (an OAuth 2.1 resource server
                           for claude.ai and ChatGPT connectors) instead of VAGON_MCP_HTTP_TOKEN.
                           Needs --public-url. Env VAGON_MCP_OAUTH_ISSUER.
  --public-url URL         The server's public MCP URL (https://files-mcp.example.com/mcp): the
                           audience tokens must carry. Env VAGON_MCP_PUBLIC_URL.
  --oauth-audience AUD     One more accepted audience, for providers that can't mint the URL
                           (e.g. api://vagon-files). Env VAGON_MCP_OAUTH_AUDIENCE.
  --sandbox                Start the embedded Vagon sandbox in-process and use it; no credentials.
                           Env VAGON_MCP_SANDBOX=1
  --sandbox-shape SHAPE    jsonapi (default) | flat: the response shape the sandbox answers with.
  -h, --help               Show this help.
  -v, --version            Show the version.

Environment:
  VAGON_API_KEY, VAGON_API_SECRET   API credentials (Vagon dashboard, Settings); required unless --sandbox.
  VAGON_MCP_HTTP_TOKEN              Bearer token the HTTP transport requires (at least ${MIN_HTTP_TOKEN_LENGTH} characters);
                                    mandatory when --host is not a loopback address.
                                    Clients send "Authorization: Bearer <token>".
  VAGON_API_URL, VAGON_MCP_ROOTS, VAGON_MCP_DOWNLOAD_DIR, VAGON_MCP_READ_ONLY, VAGON_MCP_LOG_LEVEL,
  VAGON_MCP_DRAIN_SECONDS, VAGON_MCP_ALLOW_UNCONFIRMED_DELETES, VAGON_MCP_ALLOW_FOREIGN_CANCEL,
  VAGON_MCP_OAUTH_ISSUER, VAGON_MCP_PUBLIC_URL, VAGON_MCP_OAUTH_AUDIENCE:
                                    see the matching flags above.
  VAGON_SANDBOX_ZIP_MS              With --sandbox: how long its zip jobs take, queued plus zipping
                                    (default 3000 ms; 0 for scripts and tests that shouldn't wait).
  NODE_DISABLE_COMPILE_CACHE=1      Don't keep compiled code in $XDG_CACHE_HOME/vagon-files-mcp
                                    (default ~/.cache/..., %LOCALAPPDATA% on Windows), which halves start-up.

Secrets (API secret, HTTP token, presigned URL signatures) never appear in logs or error texts.
`;

const ARG_OPTIONS = {
  "api-url": { type: "string" },
  root: { type: "string", multiple: true },
  "download-dir": { type: "string" },
  "read-only": { type: "boolean" },
  "log-level": { type: "string" },
  "upload-concurrency": { type: "string" },
  http: { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  stateless: { type: "boolean" },
  "allow-unconfirmed-deletes": { type: "boolean" },
  "allow-foreign-cancel": { type: "boolean" },
  "drain-seconds": { type: "string" },
  "oauth-issuer": { type: "string" },
  "public-url": { type: "string" },
  "oauth-audience": { type: "string" },
  sandbox: { type: "boolean" },
  "sandbox-shape": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** The long flag names, for tests that check the help text mentions every one. */
export const FLAG_NAMES = Object.keys(ARG_OPTIONS);

/** A file of the installed package, e.g. "dist/views/browser.html" (the root is one level above both src/ and dist/). */
export function packageFile(relativePath: string): URL {
  return new URL(`../${relativePath}`, import.meta.url);
}

/** The package version, read from package.json. */
export function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as {
    version?: string;
  };
  return packageJson.version ?? "0.0.0";
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

const logLevelSchema = z.enum(LOG_LEVELS, {
  error: (issue) => `Log level "${String(issue.input)}" is not one of ${LOG_LEVELS.join(", ")}.`,
});
const shapeSchema = z.enum(["jsonapi", "flat"], {
  error: (issue) => `Sandbox shape "${String(issue.input)}" is not one of jsonapi, flat.`,
});

function integerSchema(what: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { error: (issue) => `${what} must be a whole number, got "${String(issue.input)}".` })
    .transform(Number)
    .pipe(
      z.number().min(min, `${what} must be at least ${min}.`).max(max, `${what} must be at most ${max}.`),
    );
}

const apiUrlSchema = z
  .string()
  .trim()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    error: (issue) =>
      `API URL "${String(issue.input)}" is not an http(s) URL; set VAGON_API_URL or --api-url to e.g. ${DEFAULT_API_URL}.`,
  })
  // The signed path is the URL's path + the endpoint path, so no trailing slash.
  .transform((value) => value.replace(/\/+$/, ""));

function parseBooleanEnv(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const normalized = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(normalized)) return true;
  if (["", "0", "false", "no", "off"].includes(normalized)) return false;
  throw new ConfigError(`${name}="${value}" is not a yes/no value; use ${name}=1 or ${name}=0.`);
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(result.error.issues[0]?.message ?? "Invalid configuration.");
  return result.data;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * A `${...}` the host left in place. An MCP Bundle host substitutes `${user_config.x}` in the args
 * and env it launches with, and leaves the text as it was for a setting the user left empty: that
 * setting is unset, not a value (a key, a folder, a yes/no).
 */
export function isUnsubstituted(value: string): boolean {
  return /^\$\{[^{}]*\}$/.test(value.trim());
}

function withoutUnsubstituted(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([, value]) => value === undefined || !isUnsubstituted(value)),
  );
}

/**
 * Trailing positional arguments are roots, as the reference filesystem server takes its folders
 * (an MCP Bundle passes the folders the user picked this way). A bare word is a command, not a
 * folder, so a mistyped `sandbox` is refused rather than taken for a folder that doesn't exist.
 */
function positionalRoots(positionals: string[]): string[] {
  const bareWord = positionals.find((value) => !path.isAbsolute(value) && !/^\.|[\\/]/.test(value));
  if (bareWord !== undefined) {
    throw new ConfigError(
      `Unknown command "${bareWord}". Run "vagon-files-mcp --help" for usage; a folder of that name is ./${bareWord}.`,
    );
  }
  return positionals;
}

function parseArgv(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: ARG_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    // Node's own texts run on with advice about "--"; the first sentence is the useful part.
    const message = (error instanceof Error ? error.message : String(error))
      .split(/\.\s/)[0]
      ?.replace(/\.$/, "");
    throw new ConfigError(`${message}. Run "vagon-files-mcp --help" for the options.`);
  }
}

/**
 * The OAuth rows of SPEC §1: an issuer and a public URL together, never beside a static token
 * (a host that sees OAuth discovery drops the header it was configured with), https:// unless
 * the server is bound to loopback.
 */
function oauthConfig(
  flags: ReturnType<typeof parseArgv>["values"],
  env: NodeJS.ProcessEnv,
  host: string,
  token: string | null,
): OAuthConfig | undefined {
  const issuer = flags["oauth-issuer"]?.trim() || nonEmpty(env.VAGON_MCP_OAUTH_ISSUER)?.trim();
  const publicUrl = flags["public-url"]?.trim() || nonEmpty(env.VAGON_MCP_PUBLIC_URL)?.trim();
  const audience = flags["oauth-audience"]?.trim() || nonEmpty(env.VAGON_MCP_OAUTH_AUDIENCE)?.trim();
  if (issuer === undefined) {
    const stray =
      publicUrl !== undefined ? "--public-url" : audience !== undefined ? "--oauth-audience" : null;
    if (stray) {
      throw new ConfigError(
        `${stray} only applies with OAuth; add --oauth-issuer URL (VAGON_MCP_OAUTH_ISSUER), or drop it.`,
      );
    }
    return undefined;
  }
  if (token !== null) {
    throw new ConfigError(
      "VAGON_MCP_HTTP_TOKEN and --oauth-issuer exclude each other: hosts that see OAuth discovery drop a configured header, so one endpoint offers one mode. Unset VAGON_MCP_HTTP_TOKEN, or drop --oauth-issuer.",
    );
  }
  if (publicUrl === undefined) {
    throw new ConfigError(
      "OAuth needs the server's public MCP URL, the audience its tokens must carry: add --public-url https://files-mcp.example.com/mcp (VAGON_MCP_PUBLIC_URL).",
    );
  }
  const loopback = isLoopbackHost(host);
  for (const [what, value] of [
    ["--oauth-issuer", issuer],
    ["--public-url", publicUrl],
  ] as const) {
    const parsed = URL.canParse(value) ? new URL(value) : null;
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      throw new ConfigError(`${what} "${value}" is not an http(s) URL.`);
    }
    if (parsed.protocol === "http:" && !loopback) {
      throw new ConfigError(
        `${what} "${value}" is http://, accepted only when the server is bound to loopback; use https:// (TLS terminated in front of the server).`,
      );
    }
    if (parsed.hash || parsed.search) {
      throw new ConfigError(`${what} "${value}" must not carry a query or fragment.`);
    }
  }
  return { issuer, publicUrl, audience: audience ?? null };
}

/**
 * Reads argv (without the node and script names) and the environment into what to run.
 * Flags win over environment variables. Throws ConfigError with a one-line fix.
 */
export function loadConfig(argv: string[], hostEnv: NodeJS.ProcessEnv): LoadedConfig {
  const { values: flags, positionals: given } = parseArgv(argv);
  if (flags.help) return { command: "help" };
  if (flags.version) return { command: "version" };
  const env = withoutUnsubstituted(hostEnv);
  const positionals = given.filter((value) => !isUnsubstituted(value));

  const subcommand = positionals[0] === "sandbox" ? "sandbox" : undefined;
  if (subcommand && positionals.length > 1) {
    throw new ConfigError(`Unexpected argument "${positionals[1]}". Run "vagon-files-mcp --help" for usage.`);
  }
  const rootArguments = subcommand ? [] : positionalRoots(positionals);

  const logLevel = validate(
    logLevelSchema,
    flags["log-level"] ?? nonEmpty(env.VAGON_MCP_LOG_LEVEL) ?? "info",
  );
  const shape = validate(shapeSchema, flags["sandbox-shape"] ?? "jsonapi");

  if (subcommand === "sandbox") {
    const serverOnly = [
      "http",
      "stateless",
      "allow-unconfirmed-deletes",
      "allow-foreign-cancel",
      "drain-seconds",
      "oauth-issuer",
      "public-url",
      "oauth-audience",
      "sandbox",
      "root",
      "download-dir",
      "read-only",
      "api-url",
    ] as const;
    const misplaced = serverOnly.find((name) => flags[name] !== undefined);
    if (misplaced) {
      throw new ConfigError(
        `--${misplaced} does not apply to "vagon-files-mcp sandbox" (it only serves the sandbox API); drop it.`,
      );
    }
    return {
      command: "sandbox",
      logLevel,
      sandbox: {
        host: flags.host ?? DEFAULT_HTTP_HOST,
        port: flags.port === undefined ? 0 : validate(integerSchema("--port", 0, 65535), flags.port),
        shape,
      },
    };
  }

  const transport = flags.http ? "http" : "stdio";
  if (transport === "stdio") {
    const httpOnly = (
      [
        "host",
        "port",
        "stateless",
        "allow-unconfirmed-deletes",
        "allow-foreign-cancel",
        "drain-seconds",
        "oauth-issuer",
        "public-url",
        "oauth-audience",
      ] as const
    ).find((name) => flags[name] !== undefined);
    if (httpOnly) throw new ConfigError(`--${httpOnly} only applies to the HTTP transport; add --http.`);
  }
  const sandboxEnabled =
    flags.sandbox === true || parseBooleanEnv("VAGON_MCP_SANDBOX", env.VAGON_MCP_SANDBOX);
  if (!sandboxEnabled && flags["sandbox-shape"] !== undefined) {
    throw new ConfigError(
      "--sandbox-shape only applies with --sandbox (or the sandbox command); add --sandbox.",
    );
  }

  let apiUrl = DEFAULT_API_URL;
  let apiKey = "";
  let apiSecret = "";
  if (sandboxEnabled) {
    if (flags["api-url"] !== undefined) {
      throw new ConfigError("--api-url and --sandbox contradict each other; use one of them.");
    }
  } else {
    apiUrl = validate(apiUrlSchema, flags["api-url"] ?? nonEmpty(env.VAGON_API_URL) ?? DEFAULT_API_URL);
    apiKey = env.VAGON_API_KEY?.trim() ?? "";
    apiSecret = env.VAGON_API_SECRET?.trim() ?? "";
    if (!apiKey || !apiSecret) {
      const missing = [!apiKey && "VAGON_API_KEY", !apiSecret && "VAGON_API_SECRET"]
        .filter(Boolean)
        .join(" and ");
      throw new ConfigError(
        `Missing ${missing}: set VAGON_API_KEY and VAGON_API_SECRET to your organization's API key and secret (Vagon dashboard, Settings), or run with --sandbox (VAGON_MCP_SANDBOX=1; in Claude Desktop, the extension's sandbox setting) to try the server on the embedded sandbox without an account.`,
      );
    }
    for (const [name, value] of [
      ["VAGON_API_KEY", apiKey],
      ["VAGON_API_SECRET", apiSecret],
    ] as const) {
      const placeholder = placeholderReason(value);
      if (placeholder) {
        // The value is never echoed: the secret's would land in the host's log.
        throw new ConfigError(
          `${name} still holds a placeholder, not a credential (${placeholder}): set it to your organization's API ${name === "VAGON_API_KEY" ? "key" : "secret"} from the Vagon dashboard (Settings), or run with --sandbox to try the server without an account.`,
        );
      }
    }
  }

  const rootFlags = [...(flags.root ?? []), ...rootArguments];
  const rootInputs = rootFlags.length > 0 ? rootFlags : (env.VAGON_MCP_ROOTS ?? "").split(path.delimiter);
  const roots = [
    ...new Set(rootInputs.filter((root) => root.trim() !== "").map((root) => path.resolve(root))),
  ];

  const downloadDirInput = flags["download-dir"] ?? nonEmpty(env.VAGON_MCP_DOWNLOAD_DIR);
  let downloadDir: string | null = null;
  if (downloadDirInput !== undefined) {
    downloadDir = path.resolve(downloadDirInput);
    if (roots.length === 0) {
      throw new ConfigError(
        `The download dir ${downloadDir} needs a root to live in; add --root DIR (or VAGON_MCP_ROOTS) containing it.`,
      );
    }
    if (!isPathWithinAllowedDirectories(downloadDir, roots)) {
      throw new ConfigError(
        `The download dir ${downloadDir} is outside every root (${roots.join(", ")}); pick a folder inside one, or add a --root that contains it.`,
      );
    }
  }

  const readOnly =
    flags["read-only"] === true || parseBooleanEnv("VAGON_MCP_READ_ONLY", env.VAGON_MCP_READ_ONLY);
  const uploadConcurrency =
    flags["upload-concurrency"] === undefined
      ? DEFAULT_UPLOAD_CONCURRENCY
      : validate(
          integerSchema("--upload-concurrency", 1, MAX_UPLOAD_CONCURRENCY),
          flags["upload-concurrency"],
        );

  const host = flags.host?.trim() || DEFAULT_HTTP_HOST;
  const port =
    flags.port === undefined ? DEFAULT_HTTP_PORT : validate(integerSchema("--port", 0, 65535), flags.port);
  const token = nonEmpty(env.VAGON_MCP_HTTP_TOKEN)?.trim() ?? null;
  const drainInput = flags["drain-seconds"] ?? nonEmpty(env.VAGON_MCP_DRAIN_SECONDS);
  const drainSeconds =
    drainInput === undefined
      ? DEFAULT_DRAIN_SECONDS
      : validate(integerSchema("--drain-seconds", 1, 3600), drainInput);
  const allowUnconfirmedDeletes =
    flags["allow-unconfirmed-deletes"] === true ||
    parseBooleanEnv("VAGON_MCP_ALLOW_UNCONFIRMED_DELETES", env.VAGON_MCP_ALLOW_UNCONFIRMED_DELETES);
  const allowForeignCancel =
    flags["allow-foreign-cancel"] === true ||
    parseBooleanEnv("VAGON_MCP_ALLOW_FOREIGN_CANCEL", env.VAGON_MCP_ALLOW_FOREIGN_CANCEL);
  const oauth = transport === "http" ? oauthConfig(flags, env, host, token) : undefined;
  if (transport === "http") {
    if (!isLoopbackHost(host) && token === null && oauth === undefined) {
      throw new ConfigError(
        `Refusing to serve HTTP on ${host} without a token: anyone who can reach it could use your Vagon account. Set VAGON_MCP_HTTP_TOKEN (e.g. VAGON_MCP_HTTP_TOKEN=$(openssl rand -hex 32)), or --oauth-issuer with --public-url, or bind to 127.0.0.1.`,
      );
    }
    if (token !== null && token.length < MIN_HTTP_TOKEN_LENGTH) {
      throw new ConfigError(
        `VAGON_MCP_HTTP_TOKEN is too short (${token.length} characters, at least ${MIN_HTTP_TOKEN_LENGTH}); generate one with: openssl rand -hex 32`,
      );
    }
  }

  const config: Config = {
    apiUrl,
    apiKey,
    apiSecret,
    roots,
    downloadDir,
    readOnly,
    logLevel,
    transport,
    http: {
      host,
      port,
      token,
      stateless: flags.stateless === true,
      drainSeconds,
      allowUnconfirmedDeletes,
      allowForeignCancel,
      ...(oauth ? { oauth } : {}),
    },
    sandbox: {
      enabled: sandboxEnabled,
      shape,
      ...(nonEmpty(env.VAGON_SANDBOX_ZIP_MS) !== undefined
        ? {
            zipJobMs: validate(
              integerSchema("VAGON_SANDBOX_ZIP_MS", 0, 3_600_000),
              env.VAGON_SANDBOX_ZIP_MS as string,
            ),
          }
        : {}),
    },
    uploadConcurrency,
  };
  return { command: "serve", config };
}
