// A real nginx in front of real replicas, for the scale suite and bench/load.ts. It serves
// deploy/nginx.conf itself — the documented deployment — with only the ports changed, inside a
// minimal main configuration that keeps every file nginx writes in a temp folder.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findSystemBinary, installCommand } from "./system-binary.js";

export const DEPLOY_CONFIG = fileURLToPath(new URL("../../deploy/nginx.conf", import.meta.url));
export const NGINX_INSTALL_COMMAND = installCommand(["nginx"]);
const DEPLOY_UPSTREAM_PORTS = [8801, 8802, 8803];
const DEPLOY_LISTEN = "listen 127.0.0.1:8808;";

/** The nginx binary (Debian puts it in /usr/sbin), or null: `suite` is then recorded as skipped. */
export function findNginx(suite: string): string | null {
  return findSystemBinary("nginx", suite, ["nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx"]);
}

/** deploy/nginx.conf with its three upstream ports and its listen port replaced. */
export async function templatedDeployConfig(upstreamPorts: number[], listenPort: number): Promise<string> {
  let text = await fs.readFile(DEPLOY_CONFIG, "utf8");
  const replace = (from: string, to: string) => {
    const count = text.split(from).length - 1;
    // The test must serve the documented file: if its layout changed, say so instead of guessing.
    if (count !== 1) throw new Error(`deploy/nginx.conf should contain "${from}" once, found ${count}`);
    text = text.replace(from, to);
  };
  DEPLOY_UPSTREAM_PORTS.forEach((port, index) => {
    const replacement = upstreamPorts[index];
    if (replacement === undefined) throw new Error("deploy/nginx.conf names three replicas");
    replace(`server 127.0.0.1:${port} `, `server 127.0.0.1:${replacement} `);
  });
  replace(DEPLOY_LISTEN, `listen 127.0.0.1:${listenPort};`);
  return text;
}

export interface Nginx {
  /** http://127.0.0.1:PORT/mcp */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  errorLog(): Promise<string>;
  /**
   * For each request that carried an `X-Call-Id` header: the upstream addresses nginx sent it to,
   * in order (a retried request names several) — what nginx itself says about where a call went.
   */
  upstreamsByCall(): Promise<Map<string, string[]>>;
  stop(): Promise<void>;
}

export async function startNginx(input: {
  binary: string;
  upstreamPorts: number[];
  listenPort: number;
}): Promise<Nginx> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "vagon-nginx-"));
  // Run as root, nginx's workers switch to "nobody": they must be able to write the temp folders.
  await fs.chmod(dir, 0o755);
  const temps = ["body", "proxy", "fastcgi", "uwsgi", "scgi"];
  for (const name of temps) {
    await fs.mkdir(path.join(dir, name));
    await fs.chmod(path.join(dir, name), 0o777);
  }
  await fs.writeFile(
    path.join(dir, "vagon-files-mcp.conf"),
    await templatedDeployConfig(input.upstreamPorts, input.listenPort),
  );
  const main = [
    "daemon off;",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    "events { worker_connections 4096; }",
    "http {",
    // Which replica each call reached, keyed by the test's X-Call-Id header.
    "  log_format calls '$http_x_call_id $upstream_addr';",
    `  access_log ${dir}/access.log calls;`,
    ...temps.map((name) => `  ${name === "body" ? "client_body" : name}_temp_path ${dir}/${name};`),
    `  include ${dir}/vagon-files-mcp.conf;`,
    "}",
    "",
  ].join("\n");
  await fs.writeFile(path.join(dir, "nginx.conf"), main);

  const child: ChildProcess = spawn(
    input.binary,
    ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const errorLog = () => fs.readFile(path.join(dir, "error.log"), "utf8").catch(() => "");
  const upstreamsByCall = async () => {
    const text = await fs.readFile(path.join(dir, "access.log"), "utf8").catch(() => "");
    const byCall = new Map<string, string[]>();
    for (const line of text.split("\n")) {
      const [callId, ...upstreams] = line.split(/[ ,]+/).filter((word) => word !== "");
      if (callId && callId !== "-") byCall.set(callId, upstreams);
    }
    return byCall;
  };

  // Ready once it accepts connections; a bad config makes it exit instead.
  for (;;) {
    const state = await Promise.race([
      exited.then(() => "exited" as const),
      canConnect(input.listenPort).then((ok) => (ok ? ("up" as const) : ("down" as const))),
    ]);
    if (state === "up") break;
    if (state === "exited") {
      throw new Error(`nginx did not start:\n${stderr}\n${await errorLog()}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    url: `http://127.0.0.1:${input.listenPort}/mcp`,
    port: input.listenPort,
    pid: child.pid as number,
    errorLog,
    upstreamsByCall,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
