import { defineTool } from "../kit/define-tool.js";
import * as params from "../kit/params.js";
import { DOWNLOAD_ANNOTATIONS, downloadInto, followJob } from "../transfer/downloads.js";
import { downloadResultShape } from "../transfer/shapes.js";

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
