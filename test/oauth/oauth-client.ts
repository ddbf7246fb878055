// The MCP SDK's own client OAuth support, driven as a host drives it: an OAuthClientProvider
// that keeps what the SDK gives it in memory and "opens the browser" with userAgent() (login and
// consent answered as the test says), and a connect that completes the redirect the way the
// SDK's examples do (finishAuth, then connect again).

import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  type OAuthClientProvider,
  registerClient,
  startAuthorization,
  UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type UserChoice, userAgent } from "./authorization-server.js";

export const REDIRECT_URI = "http://127.0.0.1:1/callback";

export class TestOAuthClient implements OAuthClientProvider {
  private information: OAuthClientInformationMixed | undefined;
  private savedTokens: OAuthTokens | undefined;
  private verifier = "";
  /** The code the last authorization returned to the redirect URI, for finishAuth(). */
  pendingCode: string | undefined;
  /** Authorization URLs the SDK opened (each carries `resource` and `scope`). */
  readonly authorizations: URL[] = [];

  constructor(
    public choice: UserChoice,
    readonly metadataUrl?: string,
  ) {}

  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "vagon-files-mcp test host",
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  get clientMetadataUrl() {
    return this.metadataUrl;
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }
  /** Drops the access token, so the next connection signs in again (same client, new token). */
  forgetTokens() {
    this.savedTokens = undefined;
  }
  async redirectToAuthorization(authorizationUrl: URL) {
    this.authorizations.push(authorizationUrl);
    this.pendingCode = await userAgent(authorizationUrl, REDIRECT_URI, this.choice);
  }
  saveCodeVerifier(codeVerifier: string) {
    this.verifier = codeVerifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  takeCode(): string {
    const code = this.pendingCode;
    this.pendingCode = undefined;
    if (!code) throw new Error("no authorization code pending");
    return code;
  }
}

export interface OAuthSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
  oauth: TestOAuthClient;
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/**
 * Connects as a host does: the first attempt meets the 401 and runs the SDK's auth() (discovery,
 * registration, PKCE authorization with `resource`), the user answers, finishAuth() trades the
 * code for a token, and a second connect succeeds. A call refused with 403 insufficient_scope
 * makes the SDK ask again for the named scopes: `call` completes that step-up the same way.
 */
export async function connectWithOAuth(url: string, oauth: TestOAuthClient): Promise<OAuthSession> {
  const open = () => {
    const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth });
    const client = new Client({ name: "oauth-host", version: "1.0.0" }, { capabilities: {} });
    return { transport, client };
  };
  let { transport, client } = open();
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    await transport.finishAuth(oauth.takeCode());
    await client.close();
    ({ transport, client } = open());
    await client.connect(transport);
  }
  const call = async (name: string, args: Record<string, unknown>): Promise<CallToolResult> => {
    try {
      return (await client.callTool({ name, arguments: args })) as CallToolResult;
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      await transport.finishAuth(oauth.takeCode());
      return (await client.callTool({ name, arguments: args })) as CallToolResult;
    }
  };
  return {
    client,
    transport,
    oauth,
    call,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

/**
 * A token straight from the AS for any resource and scope (the SDK's discovery, registration,
 * PKCE and token helpers, without an MCP server): what a token for another resource looks like.
 */
export async function mintToken(
  issuer: string,
  input: { resource: string; scope: string; choice: UserChoice },
): Promise<string> {
  const metadata = await discoverAuthorizationServerMetadata(issuer);
  const clientInformation = await registerClient(issuer, {
    metadata,
    clientMetadata: new TestOAuthClient(input.choice).clientMetadata,
    scope: input.scope,
  });
  const { authorizationUrl, codeVerifier } = await startAuthorization(issuer, {
    metadata,
    clientInformation,
    redirectUrl: REDIRECT_URI,
    scope: input.scope,
    resource: input.resource,
  });
  const authorizationCode = await userAgent(authorizationUrl, REDIRECT_URI, input.choice);
  const tokens = await exchangeAuthorization(issuer, {
    metadata,
    clientInformation,
    authorizationCode,
    codeVerifier,
    redirectUri: REDIRECT_URI,
    resource: input.resource,
  });
  return tokens.access_token;
}
