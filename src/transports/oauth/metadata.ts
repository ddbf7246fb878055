// The two metadata documents of an OAuth resource server: the one we serve (Protected Resource
// Metadata, RFC 9728) and the one we read (the issuer's authorization server metadata, RFC 8414
// or OpenID Connect Discovery), which tells where the issuer's signing keys are.
import { fetch } from "undici";
import type { OAuthConfig } from "../../config.js";
import { SCOPES } from "./scopes.js";

export const PRM_PATH = "/.well-known/oauth-protected-resource";

/** Where the issuer's metadata was found and what it says we need. */
export interface IssuerMetadata {
  metadataUrl: string;
  jwksUri: string;
}

/** Start-up can't go on: `message` says what was fetched and what came back. */
export class IssuerDiscoveryError extends Error {
  override readonly name = "IssuerDiscoveryError";
}

/**
 * The metadata URLs to try, in order: RFC 8414's well-known URI (inserted before the issuer's
 * path), then OpenID Connect's (appended to it). For an issuer without a path both forms are
 * the same URL shape; for Keycloak's `…/realms/NAME` they differ, and providers serve one.
 */
export function issuerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const issuerPath = url.pathname.replace(/\/+$/, "");
  return [
    `${url.origin}/.well-known/oauth-authorization-server${issuerPath}`,
    `${url.origin}${issuerPath}/.well-known/openid-configuration`,
  ];
}

/** Finds the issuer's `jwks_uri`; throws IssuerDiscoveryError naming every URL tried and its answer. */
export async function discoverIssuer(
  issuer: string,
  options: { timeoutMs?: number } = {},
): Promise<IssuerMetadata> {
  const tried: string[] = [];
  for (const metadataUrl of issuerMetadataUrls(issuer)) {
    let outcome: string;
    try {
      const response = await fetch(metadataUrl, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await response.text();
      if (!response.ok) {
        outcome = `HTTP ${response.status}`;
      } else {
        const document = parseJsonObject(text);
        if (!document) {
          outcome = `HTTP ${response.status} but not a JSON object`;
        } else if (document.issuer !== issuer) {
          // RFC 8414 §3.3: the document must name exactly the issuer it was fetched for.
          outcome = `metadata for issuer "${String(document.issuer)}", not "${issuer}" (set --oauth-issuer to exactly the issuer its tokens carry)`;
        } else if (typeof document.jwks_uri !== "string" || !URL.canParse(document.jwks_uri)) {
          outcome = "metadata without a jwks_uri";
        } else {
          return { metadataUrl, jwksUri: document.jwks_uri };
        }
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      outcome = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    }
    tried.push(`${metadataUrl} → ${outcome}`);
  }
  throw new IssuerDiscoveryError(
    `Could not read the OAuth issuer's metadata, so no token could be checked: ${tried.join("; ")}. Check --oauth-issuer (VAGON_MCP_OAUTH_ISSUER) and that this machine can reach it.`,
  );
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The Protected Resource Metadata document (RFC 9728 §2). */
export function protectedResourceMetadata(oauth: OAuthConfig): Record<string, unknown> {
  return {
    resource: oauth.publicUrl,
    authorization_servers: [oauth.issuer],
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ["header"],
    resource_name: "Vagon Files",
  };
}

/**
 * The metadata's public URL (RFC 9728 §3.1: the well-known path inserted before the resource's
 * path), which 401s point clients to.
 */
export function protectedResourceMetadataUrl(publicUrl: string): string {
  const url = new URL(publicUrl);
  const resourcePath = url.pathname === "/" ? "" : url.pathname.replace(/\/+$/, "");
  return `${url.origin}${PRM_PATH}${resourcePath}`;
}

/**
 * The local paths the document is served at: the bare well-known path, the one for /mcp, and
 * the one for the public URL's path (a proxy may publish the server under another path).
 */
export function protectedResourceMetadataPaths(publicUrl: string, mcpPath: string): Set<string> {
  const publicPath = new URL(protectedResourceMetadataUrl(publicUrl)).pathname;
  return new Set([PRM_PATH, `${PRM_PATH}${mcpPath}`, publicPath]);
}
