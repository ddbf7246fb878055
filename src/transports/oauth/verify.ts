// Checks a JWT access token (SPEC §6) with jose, for every cryptographic step: the signature
// with an asymmetric key of the issuer's JWKS (fetched once and cached; an unknown `kid`
// refetches at most once per cooldown, and concurrent fetches share one), `iss`, `aud` (the
// public URL, RFC 8707, or the extra audience), `exp`/`nbf` with at most 60 s of skew.
import { createRemoteJWKSet, customFetch, type FetchImplementation, jwtVerify } from "jose";
import { fetch } from "undici";
import type { OAuthConfig } from "../../config.js";
import type { Principal } from "../../principal.js";

/** Never `none`, never HS* (a shared secret the issuer would also have to give us). */
export const ACCEPTED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
export const CLOCK_SKEW_SECONDS = 60;
/** An unknown `kid` refetches the JWKS at most this often (a flood of forged kids costs ~nothing). */
export const JWKS_REFETCH_COOLDOWN_MS = 30_000;
/** A cached JWKS is fetched again after this long, so rotated keys are picked up. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

export type Verdict = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface TokenVerifier {
  verify(token: string): Promise<Verdict>;
  /** Fetches the JWKS now (start-up): throws with what came back when it can't. */
  prefetch(): Promise<void>;
  /** How many times the JWKS was fetched (the bench's "fetches under a burst"). */
  jwksFetches(): number;
}

export function createTokenVerifier(
  oauth: OAuthConfig,
  jwksUri: string,
  options: { now?: () => number } = {},
): TokenVerifier {
  let fetches = 0;
  const countingFetch: FetchImplementation = (url, init) => {
    fetches += 1;
    return fetch(url, init as Parameters<typeof fetch>[1]) as unknown as ReturnType<FetchImplementation>;
  };
  const jwks = createRemoteJWKSet(new URL(jwksUri), {
    cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
    cacheMaxAge: JWKS_MAX_AGE_MS,
    [customFetch]: countingFetch,
  });
  const audiences = oauth.audience ? [oauth.publicUrl, oauth.audience] : [oauth.publicUrl];
  const now = options.now ?? Date.now;

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: oauth.issuer,
          audience: audiences,
          algorithms: ACCEPTED_ALGORITHMS,
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: new Date(now()),
          requiredClaims: ["exp", "sub"],
        });
        return { ok: true, principal: principalOf(payload) };
      } catch (error) {
        // jose's codes name the failed check (ERR_JWT_EXPIRED, ERR_JWKS_NO_MATCHING_KEY, ...).
        const code = (error as { code?: unknown }).code;
        return { ok: false, reason: typeof code === "string" ? code : "malformed token" };
      }
    },
    async prefetch() {
      await jwks.reload();
    },
    jwksFetches: () => fetches,
  };
}

function principalOf(payload: Record<string, unknown>): Principal {
  // RFC 9068 says client_id; Keycloak and Auth0 send azp, Entra v1 appid, Okta cid.
  const clientId = [payload.client_id, payload.azp, payload.appid, payload.cid].find(
    (value): value is string => typeof value === "string" && value !== "",
  );
  return { subject: String(payload.sub), clientId: clientId ?? null, scopes: scopesOf(payload) };
}

/** `scope` is a space-separated string (RFC 9068); Entra and Okta send `scp` (a string or a list). */
function scopesOf(payload: Record<string, unknown>): Set<string> {
  const scopes = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    const values = Array.isArray(claim) ? claim : typeof claim === "string" ? claim.split(" ") : [];
    for (const value of values) if (typeof value === "string" && value !== "") scopes.add(value);
  }
  return scopes;
}
