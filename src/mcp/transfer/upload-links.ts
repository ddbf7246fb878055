// Uploads for a client whose disk the server can't see (HTTP): create_upload_link hands out
// the presigned part URLs with the byte range each must carry, and a POSIX command per part
// that sends exactly that range with a Content-Length (S3 refuses chunked bodies); the client
// runs them and complete_upload finishes with the ETags they printed.
import { countOf } from "../../units.js";
import type { PlannedPart } from "../../vagon/upload.js";

/**
 * Each part costs its URL twice (structured and text), 300–1,300 tokens with real S3 URLs, so a
 * result stays within the output budget only with few parts: 4 by default (up to 20 GiB, parts of
 * up to 5 GiB), at most 10 when the caller picks chunk_size_mb.
 */
export const DEFAULT_LINK_PARTS = 4;
export const MAX_LINK_PARTS = 10;
/** Parts larger than this are staged in a temp file instead of curl's memory. */
const IN_MEMORY_PART_BYTES = 512 * 1024 * 1024;

/** What the server remembers of links it handed out, to check complete_upload's ETag count. */
interface IssuedLink {
  parts: number;
  fileName: string;
}
const issued = new Map<number, IssuedLink>();
const MAX_REMEMBERED = 1000;

export function rememberLink(fileId: number, link: IssuedLink): void {
  issued.delete(fileId);
  issued.set(fileId, link);
  if (issued.size > MAX_REMEMBERED) issued.delete(issued.keys().next().value!);
}

/** Undefined when another replica (or a restarted server) handed the link out. */
export function issuedLink(fileId: number): IssuedLink | undefined {
  return issued.get(fileId);
}

export function forgetLink(fileId: number): void {
  issued.delete(fileId);
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A POSIX sh function that sends bytes [offset, offset + length) of "$FILE" to a URL and prints
 * S3's ETag. `tail -c +N | head -c LEN` cuts the range; curl's --data-binary @- reads it whole
 * before sending, so the request has a Content-Length (`curl -T -` would send it chunked, which
 * S3 answers with 501). Parts above 512 MiB are staged in a temp file instead of curl's memory.
 * The readability test comes first: a mistyped path must not send empty parts.
 */
function putPartFunction(largestPartBytes: number): string {
  const cut = 'test -r "$FILE" && tail -c +$(($2 + 1)) "$FILE" | head -c "$3"';
  const curl = "curl -sS --fail-with-body -X PUT -H 'Content-Type:' -w '%header{etag}\\n'";
  if (largestPartBytes <= IN_MEMORY_PART_BYTES) return `put() { ${cut} | ${curl} --data-binary @- "$1"; }`;
  return `put() { P=$(mktemp) && { ${cut} > "$P"; } && ${curl} -T "$P" "$1"; rm -f "$P"; }`;
}

/** One part's command: `put '<url>' <offset> <length>`. */
export function partCommand(part: PlannedPart): string {
  return `put ${shellQuote(part.url)} ${part.start} ${part.end - part.start}`;
}

/** The text of create_upload_link: what to run, in order, and how to finish or abandon. */
export function linkInstructions(input: {
  fileId: number;
  fileName: string;
  sizeBytes: number;
  parts: PlannedPart[];
  expiresAt: string | null;
}): string {
  const { fileId, parts } = input;
  const largest = Math.max(0, ...parts.map((part) => part.end - part.start));
  const lines = [
    // Quoted as in FILE= below: a user may paste the whole answer into a shell.
    `Upload entry ${fileId} created for ${shellQuote(input.fileName)} (${countOf(input.sizeBytes, "byte")}, ${countOf(parts.length, "part")}); links expire ${input.expiresAt ?? "in about an hour"}.`,
    "Run where the file is (POSIX sh, curl ≥ 7.84); each put line sends one part (offset, length) and prints its ETag; they may run in parallel.",
    `FILE=${shellQuote(input.fileName)}  # path to the local file`,
    putPartFunction(largest),
    ...parts.map(partCommand),
    `Then call complete_upload with file_id=${fileId} and etags = the printed ETags in part order, quotes included.`,
    `To abandon the upload, call delete_file with file_id=${fileId}; until completed the entry holds no file.`,
  ];
  return lines.join("\n");
}

/**
 * An ETag as S3 prints it: one quoted token. A bare token gets its quotes back and a pasted
 * "ETag:" header name is dropped; anything else is refused. Null when unusable.
 */
export function normalizeEtag(raw: string): string | null {
  const trimmed = raw.trim().replace(/^etag:\s*/i, "");
  const bare = trimmed.replace(/^"(.*)"$/, "$1");
  if (!/^[A-Za-z0-9-]{1,128}$/.test(bare)) return null;
  return `"${bare}"`;
}
