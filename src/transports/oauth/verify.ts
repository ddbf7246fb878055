// Checks a JWT access token (SPEC §6) with jose, for every cryptographic step: the signature
// with an asymmetric key of the issuer's JWKS (fetched once and cached; an unknown `kid`
// refetches at most once per cooldown, and concurrent fetches share one), `iss`, `aud` (the
// public URL, RFC 8707, or the extra audience), `exp`/`nbf` with at most 60 s of skew.
import { createHash } from "node:crypto";
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

/** Tokens already verified, remembered (by digest, never the token) until they expire. */
export const VERIFIED_CACHE_ENTRIES = 10_000;

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
  options: { now?: () => number; verifiedCacheEntries?: number } = {},
): TokenVerifier {
  const cacheEntries = options.verifiedCacheEntries ?? VERIFIED_CACHE_ENTRIES;
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
  // A host sends the same token with every call for its lifetime: the signature is checked once,
  // and each later call only checks the time again (the other claims can't change).
  const verified = new Map<string, { principal: Principal; notBeforeMs: number; expiresAtMs: number }>();

  return {
    async verify(token) {
      const key = createHash("sha256").update(token).digest("base64url");
      const known = verified.get(key);
      if (known) {
        const skewMs = CLOCK_SKEW_SECONDS * 1000;
        const nowMs = now();
        if (nowMs >= known.expiresAtMs + skewMs) {
          verified.delete(key);
          return { ok: false, reason: "ERR_JWT_EXPIRED" };
        }
        if (nowMs < known.notBeforeMs - skewMs)
          return { ok: false, reason: "ERR_JWT_CLAIM_VALIDATION_FAILED" };
        return { ok: true, principal: known.principal };
      }
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: oauth.issuer,
          audience: audiences,
          algorithms: ACCEPTED_ALGORITHMS,
          clockTolerance: CLOCK_SKEW_SECONDS,
          currentDate: new Date(now()),
          requiredClaims: ["exp", "sub"],
        });
        const principal = principalOf(payload);
        if (cacheEntries === 0) return { ok: true, principal };
        if (verified.size >= cacheEntries) {
          // Oldest first (insertion order): a flood of fresh tokens only pushes out the oldest.
          const oldest = verified.keys().next().value;
          if (oldest !== undefined) verified.delete(oldest);
        }
        verified.set(key, {
          principal,
          notBeforeMs: typeof payload.nbf === "number" ? payload.nbf * 1000 : 0,
          expiresAtMs: (payload.exp as number) * 1000,
        });
        return { ok: true, principal };
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
