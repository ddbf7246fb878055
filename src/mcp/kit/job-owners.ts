// Which principal started each zip job through this server process, so that over HTTP
// cancel_download aborts only the caller's own jobs (Vagon's download ids are small sequential
// numbers anyone can guess). Kept in memory: the contract gives cancel_download nothing but the
// download_id, so no signed ownership record could travel with the call, and a record stored
// anywhere else would be one more service. A job started on another replica or before a restart
// is therefore unknown here and its cancel is refused (fail closed) unless the operator allows
// foreign cancels (--allow-foreign-cancel). get_download stays open to any caller: SPEC §5 has
// any replica pick a job up, and reading a job's status or link changes nothing.

/** Jobs remembered at most (the oldest are forgotten first); a record lives a job's 24 h. */
const MAX_JOBS = 10_000;
const JOB_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface JobOwners {
  record(downloadId: number, principal: string): void;
  /** The principal that started the job here, or undefined when this process didn't. */
  ownerOf(downloadId: number): string | undefined;
}

export function createJobOwners(now: () => number = Date.now): JobOwners {
  const owners = new Map<number, { principal: string; atMs: number }>();
  return {
    record(downloadId, principal) {
      owners.delete(downloadId);
      owners.set(downloadId, { principal, atMs: now() });
      while (owners.size > MAX_JOBS) owners.delete(owners.keys().next().value as number);
    },
    ownerOf(downloadId) {
      const record = owners.get(downloadId);
      if (!record) return undefined;
      if (now() - record.atMs > JOB_LIFETIME_MS) {
        owners.delete(downloadId);
        return undefined;
      }
      return record.principal;
    },
  };
}
