// What kind of file read_file is looking at: a zip (listed), an image (shown), text (read) or
// other binary (pointed to download_files). The bytes decide first, then the content type and
// the extension: a PNG called .txt is still a PNG.
import { type Codec, sniffEncoding } from "./text.js";

export type FileKind = "text" | "image" | "zip" | "binary";

export type Classified =
  | { kind: "text"; codec: Codec }
  | { kind: "image"; mimeType: string }
  | { kind: "zip" }
  | { kind: "binary" };

/** Bytes to fetch from the start of a file to classify it. */
export const SNIFF_BYTES = 8192;

const TEXT_TYPE =
  /^(text\/|application\/(json|xml|csv|x-yaml|yaml|toml|javascript|x-ndjson|ndjson|x-sh|sql|x-log|x-subrip)\b)|\+(json|xml)\b/i;

/** The one "is this text" rule for a content type: read_file and the file resources both ask it. */
export function isTextType(contentType: string | null): boolean {
  return TEXT_TYPE.test(contentType ?? "");
}
const TEXT_EXTENSION =
  /\.(txt|log|out|err|csv|tsv|json|jsonl|ndjson|xml|ya?ml|toml|ini|cfg|conf|md|rst|html?|css|js|mjs|ts|py|sh|bat|ps1|cmd|sql|srt|vtt|obj|mtl|usda|gltf)$/i;

/** The image type from its magic bytes, for the formats hosts can show. */
export function imageTypeOf(sample: Buffer): string | null {
  if (sample.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "image/png";
  if (sample[0] === 0xff && sample[1] === 0xd8 && sample[2] === 0xff) return "image/jpeg";
  if (
    sample.subarray(0, 6).toString("latin1") === "GIF87a" ||
    sample.subarray(0, 6).toString("latin1") === "GIF89a"
  )
    return "image/gif";
  if (
    sample.subarray(0, 4).toString("latin1") === "RIFF" &&
    sample.subarray(8, 12).toString("latin1") === "WEBP"
  )
    return "image/webp";
  return null;
}

export function classify(
  name: string,
  contentType: string | null,
  sample: Buffer,
  atEof: boolean,
): Classified {
  const type = contentType ?? "";
  const zipMagic = sample.subarray(0, 4).toString("latin1");
  if (
    zipMagic === "PK\x03\x04" ||
    zipMagic === "PK\x05\x06" ||
    /\.zip$/i.test(name) ||
    /\/(x-)?zip(-compressed)?$/i.test(type)
  ) {
    return { kind: "zip" };
  }
  const imageType = imageTypeOf(sample);
  if (imageType) return { kind: "image", mimeType: imageType };
  const codec = sniffEncoding(sample, atEof);
  if (codec) return { kind: "text", codec };
  // Said to be text but not valid UTF-8 (Latin-1, say): read it anyway, odd bytes shown as U+FFFD.
  if (!sample.includes(0) && (isTextType(type) || TEXT_EXTENSION.test(name))) {
    return { kind: "text", codec: { encoding: "utf-8", bomBytes: 0, unitBytes: 1 } };
  }
  return { kind: "binary" };
}
