// What reaches the model verbatim is a type: an error whose message is already written for the
// user (cause plus next step) extends ShownError. Anything else is an unexpected failure, logged
// and reported generically (src/mcp/errors.ts). It sits below every room so the Vagon client,
// the local disk and the tools can all throw one.

/** A failure whose message is written for the user and is shown as it is. */
export class ShownError extends Error {
  override name = "ShownError";
}
