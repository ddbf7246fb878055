// Who is calling: the subject of the OAuth access token a request carried, with the client it
// used, carried by Node through everything the request starts (as the log scope in log.ts is).
// The HTTP transport sets it where an authenticated request enters (src/transports/oauth/);
// with no OAuth (stdio, a static token) there is none, and callers treat that as "the operator".
import { AsyncLocalStorage } from "node:async_hooks";

export interface Principal {
  /** The token's `sub`: the user (or service) the authorization server vouches for. */
  subject: string;
  /** The OAuth client the user authorized (`client_id`, `azp` or `appid`), when the token says. */
  clientId: string | null;
  /** The scopes the token grants (from `scope` or `scp`). */
  scopes: ReadonlySet<string>;
}

const principalScope = new AsyncLocalStorage<Principal>();

/** Runs `work` (and everything it starts) as `principal`. */
export function withPrincipal<T>(principal: Principal, work: () => T): T {
  return principalScope.run(principal, work);
}

/** The caller of the request being served, or undefined without OAuth. */
export function currentPrincipal(): Principal | undefined {
  return principalScope.getStore();
}

/**
 * One string per caller, for what a caller owns (sessions, plans): subject and client together,
 * so a session opened by one app of a user isn't usable by another app holding that user's token.
 */
export function principalKey(principal: Principal): string {
  return JSON.stringify([principal.subject, principal.clientId]);
}
