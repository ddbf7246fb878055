// Byte sources the text readers run on: a stored file through its ranged reader (with the bytes
// already fetched to classify it served from memory), and a zip member, which can only be
// streamed from its start (it is compressed).
import type { Readable } from "node:stream";
import type { RangedReader } from "../../vagon/ranged-reader.js";
import type { ByteSource } from "./text.js";

/**
 * The file behind `reader`; reads inside `prefix` (its first bytes, fetched already) or inside
 * `suffix` (its last bytes, fetched with them) cost nothing.
 */
export function rangedSource(
  reader: RangedReader,
  prefix: Buffer,
  signal?: AbortSignal,
  suffix: Buffer = Buffer.alloc(0),
): ByteSource {
  const suffixStart = reader.sizeBytes - suffix.length;
  return {
    sizeBytes: reader.sizeBytes,
    async read(start, length) {
      const end = Math.min(reader.sizeBytes, start + length);
      if (end <= prefix.length) return prefix.subarray(start, end);
      if (start >= suffixStart) return suffix.subarray(start - suffixStart, end - suffixStart);
      if (start < prefix.length) {
        const rest = await reader.read(prefix.length, end - prefix.length, { signal });
        return Buffer.concat([prefix.subarray(start), rest]);
      }
      return reader.read(start, end - start, { signal });
    },
  };
}

/**
 * A stream that can be opened again from its start (a zip member), as a ByteSource: reads that
 * move forward continue the open stream; a read behind it starts over.
 */
export function forwardStreamSource(open: () => Promise<Readable>, sizeBytes: number): ByteSource {
  let stream: AsyncIterator<Buffer> | null = null;
  let opened: Readable | null = null;
  let position = 0;
  let leftover: Buffer = Buffer.alloc(0);
  const restart = async () => {
    opened?.destroy();
    opened = await open();
    stream = opened[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    position = 0;
    leftover = Buffer.alloc(0);
  };
  return {
    sizeBytes,
    async read(start, length) {
      if (!stream || start < position) await restart();
      const parts: Buffer[] = [];
      let have = 0;
      while (have < length) {
        let chunk: Buffer;
        if (leftover.length > 0) {
          chunk = leftover;
          leftover = Buffer.alloc(0);
        } else {
          const next = await stream!.next();
          if (next.done) break;
          chunk = next.value;
        }
        const chunkStart = position;
        position += chunk.length;
        if (position <= start) continue;
        const from = Math.max(0, start - chunkStart);
        const take = Math.min(chunk.length - from, length - have);
        parts.push(chunk.subarray(from, from + take));
        have += take;
        if (from + take < chunk.length) {
          leftover = chunk.subarray(from + take);
          position -= leftover.length;
        }
      }
      return Buffer.concat(parts);
    },
  };
}

/** Streams a member to its end, keeping only its last `keepBytes`: a source for reading its tail. */
export async function streamTailSource(stream: Readable, keepBytes: number): Promise<ByteSource> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    kept.push(bytes);
    keptBytes += bytes.length;
    total += bytes.length;
    while (kept.length > 1 && keptBytes - (kept[0]?.length ?? 0) >= keepBytes)
      keptBytes -= kept.shift()?.length ?? 0;
  }
  const tail = Buffer.concat(kept);
  const availableFrom = total - tail.length;
  return {
    sizeBytes: total,
    availableFrom,
    read: async (start, length) => {
      const from = Math.max(start, availableFrom) - availableFrom;
      return tail.subarray(from, Math.max(from, start + length - availableFrom));
    },
  };
}
