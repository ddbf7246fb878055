// The prompts hosts offer as ready-made jobs: each a short, ordered plan over the tools.
import type { GetPromptResult, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

function userMessage(text: string): GetPromptResult {
  return { messages: [{ role: "user", content: { type: "text", text } }] };
}

export function registerPrompts(server: McpServer, options: { readOnly: boolean }): void {
  server.registerPrompt(
    "fetch-task-outputs",
    {
      title: "Fetch a task's outputs",
      description: "Download what an agent task produced (output folder and session recordings).",
      argsSchema: { task_id: z.string().describe("The Vagon task id, e.g. 42.") },
    },
    ({ task_id }) =>
      userMessage(`Fetch the outputs of Vagon task ${task_id}:
1. If you know the machine the task ran on, call list_files with location "machine", that machine_id and task_id ${task_id} to see its output and recording folders. If not, list_files with location "recordings" shows each session's machine_id; if none fits, skip this step (step 2 needs only the task id) or ask me for the machine id (the Vagon dashboard shows it).
2. Call download_task_bundle with task_id ${task_id}, save_to "" and extract true.
3. If it answers "processing", call get_download with the download_id until it is saved.
4. Tell me where the files were saved and list the main ones.`),
  );

  server.registerPrompt(
    "clean-up-recordings",
    {
      title: "Clean up old session recordings",
      description: "Find session recordings older than an age and delete them after a preview.",
      argsSchema: { older_than: z.string().describe("An age (30d, 2w, 12h) or a date (2026-11-01).") },
    },
    ({ older_than }) =>
      userMessage(
        options.readOnly
          ? `Find the session recordings older than ${older_than}: call find_files with location "recordings", kind "directory", max_depth 0, modified_before "${older_than}", sort "size". Summarize count and size. This server is read-only, so nothing can be deleted here.`
          : `Clean up session recordings older than ${older_than}:
1. Call delete_files with location "recordings", kind "directory", max_depth 0 and modified_before "${older_than}". This only previews.
2. Show me the count, the total size and the first names, and ask me to confirm.
3. Only after I agree, call delete_files again with the same inputs and confirm set to the preview's plan_id.
4. If it answers "changed", show the new preview and ask again. Report what was deleted and what failed.`,
      ),
  );

  server.registerPrompt(
    "storage-report",
    {
      title: "Storage report",
      description: "Where the space goes in a location, and what could be cleaned up.",
      argsSchema: { location: z.string().describe("shared, machine (say which machine id) or recordings.") },
    },
    ({ location }) =>
      userMessage(`Write a storage report for Vagon Files location "${location}":
1. Call storage_usage with location "${location}" (and machine_id if it is a machine), depth 2, top 10.
2. Call find_files there with modified_before "90d", sort "size", limit 10 for old, big files.
3. Report: used vs quota, the biggest folders, the biggest files, and candidates to clean up with their size. Don't delete anything.`),
  );
}
