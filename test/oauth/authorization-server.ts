// A real OAuth 2.1 / OpenID Connect authorization server for the tests: oidc-provider (OpenID
// Certified) on loopback, with an issuer that has a path (as Keycloak's …/realms/NAME), dynamic
// client registration, resource indicators (RFC 8707) issuing JWT access tokens for the MCP
// server, and login + consent answered by the test through the interaction endpoints, as a
// user's browser would: `userAgent()` follows the redirects, logs in as the chosen account and
// grants the chosen scopes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { type Configuration } from "oidc-provider";

export const REALM_PATH = "/realms/vagon";
export const MCP_SCOPES = "files:read files:write files:delete";

export interface AuthorizationServer {
  issuer: string;
  provider: Provider;
  /** The AS's signing key (private): tests mint tokens the AS could have minted (expired, ...). */
  signingJwk: JWK;
  /** Requests to the JWKS endpoint so far. */
  jwksFetches(): number;
  /** Requests to the metadata documents so far. */
  metadataFetches(): number;
  close(): Promise<void>;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", reject);
  });
}

export async function startAuthorizationServer(
  options: { accessTokenTtlSeconds?: number; configure?: (configuration: Configuration) => void } = {},
): Promise<AuthorizationServer> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: "as-key-1", alg: "ES256", use: "sig" };
  let jwksFetches = 0;
  let metadataFetches = 0;
  // The port is known only once listening: the provider is created then, the server routes to it.
  let provider: Provider | undefined;
  const http: Server = createServer((req, res) => {
    void route(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse) {
    if (!provider) throw new Error("not ready");
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(REALM_PATH)) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (url.pathname.endsWith("/jwks")) jwksFetches += 1;
    if (url.pathname.includes("/.well-known/")) metadataFetches += 1;
    const interaction = /^\/realms\/vagon\/interaction\/([^/]+)(\/login|\/consent)?$/.exec(url.pathname);
    if (interaction) {
      await answerInteraction(provider, req, res, interaction[2]);
      return;
    }
    // Mounted under the realm path, as behind a proxy: the provider sees its own paths.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
    req.url = (req.url ?? "/").slice(REALM_PATH.length) || "/";
    await provider.callback()(req, res);
  }
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}${REALM_PATH}`;

  const configuration: Configuration = {
    clients: [],
    // The one signing key is an EC key.
    clientDefaults: { id_token_signed_response_alg: "ES256" },
    jwks: { keys: [signingJwk as never] },
    // Listed so dynamic registration accepts them; the resource server info grants them per resource.
    scopes: ["openid", "offline_access", ...MCP_SCOPES.split(" ")],
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    interactions: { url: (_ctx, interaction) => `${REALM_PATH}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? (undefined as unknown as string),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => ({
          scope: MCP_SCOPES,
          audience: resourceIndicator,
          accessTokenFormat: "jwt",
          accessTokenTTL: options.accessTokenTtlSeconds ?? 3600,
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, AuthorizationCode: 60 },
    clientBasedCORS: () => true,
  };
  options.configure?.(configuration);
  provider = new Provider(issuer, configuration);
  return {
    issuer,
    provider,
    signingJwk,
    jwksFetches: () => jwksFetches,
    metadataFetches: () => metadataFetches,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/**
 * The login and consent pages of the AS, reduced to what a test needs: GET describes the
 * prompt as JSON, POST …/login logs in `account`, POST …/consent grants `scope` (a subset of
 * what was asked: the user may grant less).
 */
async function answerInteraction(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  action: string | undefined,
) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        prompt: details.prompt.name,
        details: details.prompt.details,
        params: details.params,
      }),
    );
    return;
  }
  const form = await readForm(req);
  if (action === "/login") {
    const accountId = form.get("account") ?? "";
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const session = details.session as { accountId: string } | undefined;
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) as InstanceType<Provider["Grant"]>)
    : new provider.Grant({ accountId: session?.accountId ?? "", clientId: String(details.params.client_id) });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  const granted = new Set((form.get("scope") ?? MCP_SCOPES).split(" "));
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.filter((scope) => granted.has(scope)).join(" "));
    // Declined, not merely missing: the AS issues the token without them instead of asking again.
    const declined = scopes.filter((scope) => !granted.has(scope));
    if (declined.length > 0) grant.rejectResourceScope(resource, declined.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

export interface UserChoice {
  /** The account the user logs in as: the token's subject. */
  account: string;
  /** What the user grants on the consent page (default: everything asked). */
  grant?: string;
}

/**
 * A user's browser: follows an authorization URL through the AS's redirects, logs in and
 * consents as told, and returns the authorization code sent to the client's redirect URI.
 */
export async function userAgent(
  authorizationUrl: URL,
  redirectUri: string,
  choice: UserChoice,
): Promise<string> {
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  let next: { url: string; method: "GET" | "POST"; body?: URLSearchParams } = {
    url: authorizationUrl.href,
    method: "GET",
  };
  for (let step = 0; step < 20; step += 1) {
    const response = await fetch(next.url, {
      method: next.method,
      redirect: "manual",
      headers: { cookie: cookieHeader() },
      ...(next.body ? { body: next.body } : {}),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair] = setCookie.split(";");
      const [name, ...value] = (pair ?? "").split("=");
      if (name) cookies.set(name.trim(), value.join("="));
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, next.url);
      if (target.href.startsWith(redirectUri)) {
        const code = target.searchParams.get("code");
        if (!code)
          throw new Error(`the AS refused: ${target.searchParams.get("error_description") ?? target.href}`);
        return code;
      }
      next = { url: target.href, method: "GET" };
      continue;
    }
    if (response.status !== 200)
      throw new Error(`${next.url}: HTTP ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { prompt: string };
    next =
      page.prompt === "login"
        ? { url: `${next.url}/login`, method: "POST", body: new URLSearchParams({ account: choice.account }) }
        : {
            url: `${next.url}/consent`,
            method: "POST",
            body: new URLSearchParams(choice.grant ? { scope: choice.grant } : {}),
          };
  }
  throw new Error("too many redirects");
}
