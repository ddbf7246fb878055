// How a serving process winds down, shared by the transports (which decide when) and the tools
// (which must finish or hand over in time). Two things cross that line: a signal telling long
// waits to answer with what they have (a zip wait returns its resumable download_id), and a
// count of tool calls still running, so shutdown can wait for their cleanups (partial files
// removed, a cancelled zip job aborted at Vagon) before the process exits.

export interface Lifecycle {
  /** Fires when waits must end now and answer with what they have: the process is stopping. */
  readonly wrapUp: AbortSignal;
  /** Tool calls started and not yet settled. */
  inFlight(): number;
  /** Runs one tool call, counted until it has settled (its cleanups included). */
  track<T>(call: () => Promise<T>): Promise<T>;
  /** Fires `wrapUp` (once). */
  beginWrapUp(): void;
  /** Resolves once no tracked call is running (at once when none is). */
  idle(): Promise<void>;
}

export function createLifecycle(): Lifecycle {
  const wrapUp = new AbortController();
  let running = 0;
  let waiters: (() => void)[] = [];
  return {
    wrapUp: wrapUp.signal,
    inFlight: () => running,
    async track(call) {
      running += 1;
      try {
        return await call();
      } finally {
        running -= 1;
        if (running === 0) {
          for (const resolve of waiters) resolve();
          waiters = [];
        }
      }
    },
    beginWrapUp() {
      if (!wrapUp.signal.aborted) wrapUp.abort(new Error("the server is shutting down"));
    },
    idle() {
      if (running === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
