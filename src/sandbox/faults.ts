// Deterministic fault injection: the same seed and the same sequence of requests give the same
// faults, so a flaky-network test fails the same way every run.
import type { FaultConfig, FaultRates, SandboxRoute, ScriptedFault } from "./types.js";

export type FaultDecision =
  | { kind: "drop" }
  | { kind: "rateLimit429"; retryAfterSeconds: number }
  | { kind: "error5xx"; status: 500 | 502 | 503 }
  | { kind: "truncate" }
  | { kind: "forbidden" }
  | { kind: "lostAnswer" }
  | { kind: "latency"; latencyMs: number };

/** What a scripted fault can match on. */
export interface FaultTarget {
  path: string;
  /** First byte of a `Range: bytes=N-` request; null without one. */
  rangeStart: number | null;
}

const DEFAULT_RETRY_AFTER_SECONDS = 1;
const DEFAULT_LATENCY_MS = 500;
/** Longer than any test: a stalled request ends when the client aborts or the sandbox closes. */
const STALL_MS = 10 * 60_000;
const SERVER_ERRORS = [500, 502, 503] as const;

/** mulberry32: a tiny seeded PRNG, good enough to spread faults evenly. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig | null = null;
  private random: () => number = mulberry32(1);
  private scripted: { fault: ScriptedFault; left: number }[] = [];

  configure(config: FaultConfig | null): void {
    this.config = config;
    this.random = mulberry32(config?.seed ?? 1);
    this.scripted = (config?.scripted ?? []).map((fault) => ({ fault, left: fault.times ?? 1 }));
  }

  /**
   * Decides the fault for one request, before the request touches any state. Each kind is drawn
   * independently in a fixed order (drop, 429, 5xx, truncate, latency); the first hit wins.
   */
  pick(route: SandboxRoute | "unknown", target?: FaultTarget): FaultDecision | null {
    if (!this.config || route === "unknown") return null;
    const scripted = target ? this.pickScripted(route, target) : null;
    if (scripted) return scripted;
    const rates: FaultRates | undefined = this.config.routes[route] ?? this.config.routes["*"];
    if (!rates) return null;
    if (this.hit(rates.drop)) return { kind: "drop" };
    if (this.hit(rates.rateLimit429)) {
      return {
        kind: "rateLimit429",
        retryAfterSeconds: rates.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
      };
    }
    if (this.hit(rates.error5xx)) {
      const index = Math.floor(this.random() * SERVER_ERRORS.length);
      return { kind: "error5xx", status: SERVER_ERRORS[index] ?? 500 };
    }
    if (route === "s3-get" && this.hit(rates.truncate)) return { kind: "truncate" };
    if (this.hit(rates.latency)) return { kind: "latency", latencyMs: rates.latencyMs ?? DEFAULT_LATENCY_MS };
    return null;
  }

  private pickScripted(route: SandboxRoute, target: FaultTarget): FaultDecision | null {
    const match = this.scripted.find(
      ({ fault, left }) =>
        left > 0 &&
        fault.route === route &&
        (fault.pathIncludes === undefined || target.path.includes(fault.pathIncludes)) &&
        (fault.rangeStart === undefined || fault.rangeStart === target.rangeStart),
    );
    if (!match) return null;
    match.left -= 1;
    switch (match.fault.fault) {
      case "error5xx":
        return { kind: "error5xx", status: 503 };
      case "rateLimit429":
        return { kind: "rateLimit429", retryAfterSeconds: 0 };
      case "truncate":
        return route === "s3-get" ? { kind: "truncate" } : null;
      case "stall":
        return { kind: "latency", latencyMs: STALL_MS };
      default:
        return { kind: match.fault.fault };
    }
  }

  private hit(rate: number | undefined): boolean {
    if (!rate || rate <= 0) return false;
    return this.random() < rate;
  }
}
