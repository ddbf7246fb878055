// The checks every request passes before routing (see ../http.ts for their order): Host and
// Origin (DNS-rebinding protection for local servers) and the static bearer token. Each is a
// function of the request header and the site the server is bound as, nothing else.
import { createHash, timingSafeEqual } from "node:crypto";
import { isLoopbackHost } from "../../config.js";

const LOOPBACK_HOSTNAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARD_HOSTS = ["0.0.0.0", "::", "[::]"];

/** The host as URL.hostname spells it: lower case, IPv6 in brackets. */
export function urlHostname(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return bare.includes(":") ? `[${bare.toLowerCase()}]` : bare.toLowerCase();
}

/** Where the server answers: the bound host, its names, and the public host behind a TLS terminator. */
export interface Site {
  readonly boundHostname: string;
  readonly isWildcard: boolean;
  readonly allowedHostnames: readonly string[];
  /** Behind a TLS terminator the Host (and a browser's Origin) is the public URL's. */
  readonly publicHost: string | null;
  /** The real port, known once listening. */
  port: number;
}

export function siteOf(host: string, publicUrl: string | undefined): Site {
  const boundHostname = urlHostname(host);
  return {
    boundHostname,
    isWildcard: WILDCARD_HOSTS.includes(host),
    allowedHostnames: isLoopbackHost(host)
      ? [...new Set([...LOOPBACK_HOSTNAMES, boundHostname])]
      : [boundHostname],
    publicHost: publicUrl ? new URL(publicUrl).host : null,
    port: 0,
  };
}

export function hostAllowed(site: Site, hostHeader: string | undefined): boolean {
  // Bound to every interface: the Host is whatever name the load balancer uses; the
  // mandatory token protects such a server.
  if (site.isWildcard) return true;
  if (!hostHeader) return false;
  if (hostHeader.toLowerCase() === site.publicHost) return true;
  let parsed: URL;
  try {
    parsed = new URL(`http://${hostHeader}`);
  } catch {
    return false;
  }
  const portOk = parsed.port === "" || Number(parsed.port) === site.port;
  return portOk && site.allowedHostnames.includes(parsed.hostname);
}

export function originAllowed(site: Site, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  if (parsed.host === site.publicHost) return true;
  return (
    LOOPBACK_HOSTNAMES.includes(parsed.hostname) ||
    (!site.isWildcard && parsed.hostname === site.boundHostname)
  );
}

/** The configured token, hashed so the comparison takes the same time whatever the lengths. */
export function tokenDigestOf(token: string | null): Buffer | null {
  return token === null ? null : createHash("sha256").update(token).digest();
}

export function tokenAccepted(tokenDigest: Buffer | null, authorization: string | undefined): boolean {
  if (tokenDigest === null) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) return false;
  return timingSafeEqual(createHash("sha256").update(match[1]).digest(), tokenDigest);
}
