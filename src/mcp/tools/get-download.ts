import { defineTool } from "../define-tool.js";
import { DOWNLOAD_ANNOTATIONS, downloadInto, followJob } from "../downloads.js";
import * as params from "../params.js";
import { downloadResultShape } from "../shapes.js";

export const getDownload = defineTool({
  name: "get_download",
  title: "Pick up a zip job",
  description: `Check or finish a zip job started earlier (after a wait ran out, or elsewhere).
Use this tool when you need to:
- continue a download that answered "processing" with a download_id
wait_seconds=0 just looks at the status.`,
  inputSchema: {
    download_id: params.downloadId,
    ...params.downloadTarget,
  },
  outputSchema: downloadResultShape,
  annotations: { ...DOWNLOAD_ANNOTATIONS, idempotentHint: false },
  mutating: false,
  async handler(args, context) {
    return downloadInto(context, args, (target) => followJob(context, args.download_id, target));
  },
});
