// The one place a delete asks the user (delete_file, delete_files with confirm). A client that
// supports elicitation is asked and a decline deletes nothing. A client without it confirmed by
// calling (delete_files: with the previewed plan_id). A request whose client this server never
// saw — a stateless replica (--stateless) gets a fresh server per request, so an
// `initialize`-era client's capabilities are unknown and a question could not reach it — is
// refused: the question is never silently skipped, unless the operator opted into unattended
// deletes with --allow-unconfirmed-deletes (SPEC §5).
import type { ToolContext } from "./define-tool.js";
import { UserInputError } from "./errors.js";

export const CANT_ASK_ON_STATELESS =
  "Nothing was deleted: this server runs stateless (--stateless), so it never saw whether your client can ask you to confirm, and it doesn't delete without asking. Ways out: use a client that speaks MCP 2026-07-28 (its confirmation works across replicas), or have the operator run the server in its stateful mode (behind a load balancer that routes by Mcp-Session-Id), or start it with --allow-unconfirmed-deletes for unattended automation.";

/** The sentence a server's instructions carry when deletes may run unasked. */
export const UNCONFIRMED_DELETES_NOTICE =
  "Deletes this server can't confirm with the user run without asking (--allow-unconfirmed-deletes): get the user's go-ahead yourself before delete_file or delete_files with confirm.";

/**
 * "accepted" or "declined" when the user was asked; "not-asked" when the delete may go ahead
 * without a question (the client has no elicitation, or the operator allowed unconfirmed
 * deletes on a stateless replica). Throws when a stateless replica can't ask.
 */
export async function confirmDelete(
  context: Pick<ToolContext, "server" | "config" | "logger" | "extra">,
  question: { message: () => string | Promise<string>; title: string },
): Promise<"accepted" | "declined" | "not-asked"> {
  const { server, config, logger, extra } = context;
  const capabilities = server.server.getClientCapabilities();
  if (capabilities === undefined && config.transport === "http" && config.http.stateless) {
    if (!config.http.allowUnconfirmedDeletes) throw new UserInputError(CANT_ASK_ON_STATELESS);
    logger.info(
      "deleting without asking the user: a stateless request, and --allow-unconfirmed-deletes is on",
    );
    return "not-asked";
  }
  if (!capabilities?.elicitation) return "not-asked";
  const answer = await server.server.elicitInput(
    {
      message: await question.message(),
      requestedSchema: {
        type: "object",
        properties: { confirm: { type: "boolean", title: question.title } },
        required: ["confirm"],
      },
    },
    { signal: extra.signal },
  );
  return answer.action === "accept" && answer.content?.confirm === true ? "accepted" : "declined";
}
