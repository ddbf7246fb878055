import { z } from "zod";
import { defineTool } from "../kit/define-tool.js";
import * as params from "../kit/params.js";
import { DOWNLOAD_ANNOTATIONS, downloadInto, finishDownload } from "../transfer/downloads.js";
import { downloadResultShape } from "../transfer/shapes.js";

export const downloadTaskBundle = defineTool({
  name: "download_task_bundle",
  title: "Download a task's outputs",
  description: `Download a task's output folder and session recordings as one zip.
Use this tool when you need to:
- fetch the results of a task that ran on a cloud computer
One top-level folder per input folder.`,
  inputSchema: {
    task_id: z.number().int().positive().describe("The Vagon task id."),
    ...params.downloadTarget,
  },
  outputSchema: downloadResultShape,
  annotations: { ...DOWNLOAD_ANNOTATIONS, idempotentHint: false },
  mutating: false,
  async handler(args, context) {
    return downloadInto(context, args, async (target) => {
      const start = await context.client.startDownload(
        { taskId: args.task_id },
        { signal: context.extra.signal },
      );
      return finishDownload(context, start, target);
    });
  },
});
