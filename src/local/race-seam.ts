// A seam between checking a path and using it. Production never sets a hook, so each point costs
// one comparison; tests set one to swap a folder for a link at exactly that moment, which turns a
// time-of-check/time-of-use race into a deterministic story instead of a timing lottery.

/** Where the local-disk code has checked something and is about to rely on it. */
export type RacePoint =
  /** upload: the path resolved inside a root; next the file is opened. */
  | "read:checked"
  /** download: the folder was checked; next its temporary file is created in it. */
  | "write:before-create"
  /** download: an attempt failed; next the same temporary file is written again. */
  | "write:between-attempts"
  /** extraction: the entry's folder was checked; next its file is created in it. */
  | "extract:before-entry"
  /** save_to: a missing folder's parent was checked; next the folder is created in it. */
  | "folder:before-mkdir"
  /** folder upload: a file the walk found; next it is opened. */
  | "read:tree-file";

export type RaceHook = (point: RacePoint, target: string) => Promise<void> | void;

let hook: RaceHook | null = null;

/** Tests only: run `next` at every race point (null removes it). */
export function setRaceHook(next: RaceHook | null): void {
  hook = next;
}

export async function raceSeam(point: RacePoint, target: string): Promise<void> {
  if (hook !== null) await hook(point, target);
}
