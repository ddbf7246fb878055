// The one place a delete asks the user (delete_file, delete_files with confirm). A client that
// supports elicitation is asked and a decline deletes nothing. A client without it confirmed by
// calling (delete_files: with the previewed plan_id). A request whose client this server never
// saw — a stateless replica (--stateless) gets a fresh server per request, so an
// `initialize`-era client's capabilities are unknown and a question could not reach it — is
// refused: the question is never silently skipped, unless the operator opted into unattended
// deletes with --allow-unconfirmed-deletes (SPEC §5).
//
// A 2026-07-28 client can't be sent requests, but says in every request what it can do: the call
// answers `input_required` with the same form and a requestState, and the client calls again with
// the answer and that state. The state is an HMAC (the SDK's request-state codec, keyed from the
// API secret as plan_ids are, so any replica checks it) naming exactly what is deleted, bound to
// the method and the caller's principal and valid 5 minutes; the SDK verifies it before the tool
// runs and refuses a tampered, expired or foreign one (-32602), and a genuine one for another
// file or plan only asks again.
import {
  acceptedContent,
  createRequestStateCodec,
  type InputRequiredResult,
  inputRequired,
  type RequestStateCodec,
} from "@modelcontextprotocol/server";
import type { Config } from "../../config.js";
import type { ToolContext } from "../kit/define-tool.js";
import { clientCapabilities, isModernEra } from "../kit/era.js";
import { UserInputError } from "../kit/errors.js";
import { confirmationKey } from "./delete-plan.js";

export const CANT_ASK_ON_STATELESS =
  "Nothing was deleted: this server runs stateless (--stateless), so it never saw whether your client can ask you to confirm, and it doesn't delete without asking. Ways out: use a client that speaks MCP 2026-07-28 (its confirmation works across replicas), or have the operator run the server in its stateful mode (behind a load balancer that routes by Mcp-Session-Id), or start it with --allow-unconfirmed-deletes for unattended automation.";

/** The sentence a server's instructions carry when deletes may run unasked. */
export const UNCONFIRMED_DELETES_NOTICE =
  "Deletes this server can't confirm with the user run without asking (--allow-unconfirmed-deletes): get the user's go-ahead yourself before delete_file or delete_files with confirm.";

export const CONFIRMATION_TTL_SECONDS = 5 * 60;

/** What a confirmation state names: the tool and exactly what it will delete. */
interface ConfirmationState {
  subject: string;
}

const codecs = new WeakMap<Config, Map<string, RequestStateCodec<ConfirmationState>>>();

/**
 * The codec of one caller's confirmation states: its principal (over HTTP, a digest of its
 * credential; "" over stdio) is in every state it gets, so no other caller can use one.
 */
export function confirmationCodec(
  config: Config,
  principal: string | undefined,
): RequestStateCodec<ConfirmationState> {
  let byPrincipal = codecs.get(config);
  if (!byPrincipal) {
    byPrincipal = new Map();
    codecs.set(config, byPrincipal);
  }
  let codec = byPrincipal.get(principal ?? "");
  if (!codec) {
    codec = createRequestStateCodec<ConfirmationState>({
      key: confirmationKey(config.apiKey, config.apiSecret),
      ttlSeconds: CONFIRMATION_TTL_SECONDS,
      bind: (ctx) => `${ctx.mcpReq.method}\0${principal ?? ""}`,
    });
    byPrincipal.set(principal ?? "", codec);
  }
  return codec;
}

export interface DeleteQuestion {
  /** Exactly what will be deleted, e.g. "delete_file 42" or "delete_files <plan_id>". */
  subject: string;
  message: () => string | Promise<string>;
  /** The checkbox's label. */
  title: string;
}

/**
 * "accepted" (the user agreed while this call waited), "accepted-earlier" (a 2026-07-28 retry
 * carrying the agreement), "declined", "not-asked" (the delete may go ahead without a question:
 * the client has no elicitation, or the operator allowed unconfirmed deletes on a stateless
 * replica), or the input_required answer to return (2026-07-28, first round). Throws when a
 * stateless replica can't ask.
 */
export async function confirmDelete(
  context: Pick<ToolContext, "server" | "config" | "logger" | "extra" | "principal">,
  question: DeleteQuestion,
): Promise<"accepted" | "accepted-earlier" | "declined" | "not-asked" | InputRequiredResult> {
  const { server, config, logger, extra } = context;
  const requestedSchema = {
    type: "object" as const,
    properties: { confirm: { type: "boolean" as const, title: question.title } },
    required: ["confirm"],
  };
  if (isModernEra(server)) {
    const { ctx } = extra;
    if (!clientCapabilities(server, ctx)?.elicitation) return "not-asked";
    // Verified by the SDK before the tool ran (ServerOptions.requestState.verify): signed by us,
    // unexpired, for this method and caller. It must also name this very deletion.
    const state = ctx.mcpReq.requestState<ConfirmationState>();
    if (state?.subject === question.subject) {
      const answer = acceptedContent<{ confirm?: unknown }>(ctx.mcpReq.inputResponses, "confirm");
      return answer?.confirm === true ? "accepted-earlier" : "declined";
    }
    return inputRequired({
      inputRequests: {
        confirm: inputRequired.elicit({ mode: "form", message: await question.message(), requestedSchema }),
      },
      requestState: await confirmationCodec(config, context.principal).mint(
        { subject: question.subject },
        ctx,
      ),
    });
  }
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
    { message: await question.message(), requestedSchema },
    { signal: extra.signal },
  );
  return answer.action === "accept" && answer.content?.confirm === true ? "accepted" : "declined";
}
