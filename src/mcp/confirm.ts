// Asking the user before a delete, in either protocol era. An `initialize`-era client with the
// elicitation capability is asked with a server→client elicitation/create on its session. A
// 2026-07-28 client can't be sent requests: the call answers `input_required` with the same form
// and a requestState, and the client calls again with the answer and that state. The state is an
// HMAC (keyed from the API secret, as plan_ids are: any replica checks it) over what is being
// deleted, bound to the caller and expiring in 5 minutes; the SDK verifies it before the tool runs
// and refuses a tampered or expired one (-32602), and the tool deletes only what the state names.
import { createHash } from "node:crypto";
import {
  acceptedContent,
  createRequestStateCodec,
  type ElicitRequestFormParams,
  type InputRequiredResult,
  inputRequired,
  type RequestStateCodec,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { Config } from "../config.js";
import type { ToolContext } from "./define-tool.js";
import { confirmationKey } from "./delete-plan.js";
import { clientCapabilities, isModernEra } from "./era.js";

export const CONFIRMATION_TTL_SECONDS = 5 * 60;

/** What a confirmation state names: the tool and exactly what it will delete. */
interface ConfirmationState {
  subject: string;
}

const codecs = new WeakMap<Config, RequestStateCodec<ConfirmationState>>();

/** Who is calling, as far as the server can tell: their bearer credential, never the raw value. */
function callerOf(ctx: ServerContext): string {
  const principal = ctx.http?.authInfo?.clientId;
  if (principal) return `principal:${principal}`;
  const authorization = ctx.http?.req?.headers.get("authorization");
  return authorization ? `bearer:${createHash("sha256").update(authorization).digest("base64url")}` : "";
}

export function confirmationCodec(config: Config): RequestStateCodec<ConfirmationState> {
  let codec = codecs.get(config);
  if (!codec) {
    codec = createRequestStateCodec<ConfirmationState>({
      key: confirmationKey(config.apiKey, config.apiSecret),
      ttlSeconds: CONFIRMATION_TTL_SECONDS,
      bind: (ctx) => `${ctx.mcpReq.method}\0${callerOf(ctx)}`,
    });
    codecs.set(config, codec);
  }
  return codec;
}

const CONFIRM_SCHEMA = (title: string): ElicitRequestFormParams["requestedSchema"] => ({
  type: "object",
  properties: { confirm: { type: "boolean", title } },
  required: ["confirm"],
});

export interface ConfirmRequest {
  /** Exactly what will be deleted, e.g. "delete_file 42" or "delete_files <plan_id>". */
  subject: string;
  message: string;
  /** The checkbox's label. */
  title: string;
}

/**
 * "accepted" (the user agreed while this call waited), "accepted-earlier" (a 2026-07-28 retry
 * carrying the agreement), "declined", "not-asked" (a client that can't be asked confirmed by
 * calling), or the input_required answer to return (2026-07-28, first round).
 */
export async function confirmDeletion(
  context: ToolContext,
  request: ConfirmRequest,
): Promise<"accepted" | "accepted-earlier" | "declined" | "not-asked" | InputRequiredResult> {
  const { server, extra } = context;
  if (!clientCapabilities(server, extra.ctx)?.elicitation) return "not-asked";
  const requestedSchema = CONFIRM_SCHEMA(request.title);
  if (!isModernEra(server)) {
    const answer = await server.server.elicitInput(
      { message: request.message, requestedSchema },
      { signal: extra.signal },
    );
    return answer.action === "accept" && answer.content?.confirm === true ? "accepted" : "declined";
  }
  const { ctx } = extra;
  // Verified by the SDK before the tool ran (ServerOptions.requestState.verify): signed by us,
  // unexpired, for this caller. It must also name this very deletion.
  const state = ctx.mcpReq.requestState<ConfirmationState>();
  if (state?.subject === request.subject) {
    const answer = acceptedContent<{ confirm?: unknown }>(ctx.mcpReq.inputResponses, "confirm");
    return answer?.confirm === true ? "accepted-earlier" : "declined";
  }
  return inputRequired({
    inputRequests: {
      confirm: inputRequired.elicit({ mode: "form", message: request.message, requestedSchema }),
    },
    requestState: await confirmationCodec(context.config).mint({ subject: request.subject }, ctx),
  });
}
