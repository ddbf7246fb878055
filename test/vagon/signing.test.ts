import { describe, expect, it } from "vitest";
import { signingString, signRequest } from "../../src/vagon/signing.js";

// Vectors computed independently in the shell, e.g.:
//   printf '%s' 'vk_test_4f1c2e9aGET/organization-management/v1/files1770000000000nonce-123' \
//     | openssl dgst -sha256 -hmac 'vs_secret_9b8a7c6d5e4f'
const apiKey = "vk_test_4f1c2e9a";
const apiSecret = "vs_secret_9b8a7c6d5e4f";

describe("signRequest", () => {
  it("signs a GET without body like openssl does, leaving the query string out", () => {
    const signed = signRequest({
      apiKey,
      apiSecret,
      method: "get",
      path: "/organization-management/v1/files?page=2&parent_id=5",
      nonce: "nonce-123",
      timestampMs: 1770000000000,
    });
    expect(signed.header).toBe(
      "HMAC vk_test_4f1c2e9a:6a4783c381f3f64fe306612a8948fe77ae3596774907d3b88b47b274ab5c7544:nonce-123:1770000000000",
    );
    expect(signed).toMatchObject({ nonce: "nonce-123", timestampMs: 1770000000000 });
  });

  it("signs a POST with the exact JSON bytes of the body", () => {
    const body =
      '{"file_name":"report.pdf","object_type":"file","content_type":"application/pdf","size":2048,"parent_id":0}';
    const signed = signRequest({
      apiKey,
      apiSecret,
      method: "POST",
      path: "/organization-management/v1/files",
      body,
      nonce: "3b0c1d2e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
      timestampMs: 1770000000000,
    });
    expect(signed.header).toBe(
      "HMAC vk_test_4f1c2e9a:df3113ddaaa770a3cf644d2e2cf6e0e4c42d6e2651a306e0f29fb193ca0a27c5:3b0c1d2e-0f1a-4b2c-9d3e-4f5a6b7c8d9e:1770000000000",
    );
  });

  it("hashes non-ASCII bodies as UTF-8 bytes", () => {
    const signed = signRequest({
      apiKey,
      apiSecret,
      method: "POST",
      path: "/organization-management/v1/machines/100/list-content",
      body: JSON.stringify({ path: "C:\\Users\\Rénee" }),
      nonce: "n-2",
      timestampMs: 1770000000123,
    });
    expect(signed.header.split(":")[1]).toBe(
      "eb76795fd81bfca6372ac4975514e0f8db273ff88f60f884aa3daa8762ff2d3e",
    );
  });

  it("builds the signing string with no separators and an upper-case method", () => {
    expect(
      signingString({
        apiKey: "k",
        method: "delete",
        path: "/v1/files/7",
        nonce: "n",
        timestampMs: 5,
        body: "",
      }),
    ).toBe("kDELETE/v1/files/75n");
  });

  it("uses a fresh UUID nonce and the current time when none is given", () => {
    const before = Date.now();
    const first = signRequest({ apiKey, apiSecret, method: "GET", path: "/v1/files" });
    const second = signRequest({ apiKey, apiSecret, method: "GET", path: "/v1/files" });
    expect(first.nonce).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.nonce).not.toBe(first.nonce);
    expect(first.timestampMs).toBeGreaterThanOrEqual(before);
    expect(first.timestampMs).toBeLessThanOrEqual(Date.now());
    expect(first.header).toMatch(
      new RegExp(`^HMAC ${apiKey}:[0-9a-f]{64}:${first.nonce}:${first.timestampMs}$`),
    );
  });

  it("never puts the secret in the header", () => {
    const signed = signRequest({ apiKey, apiSecret, method: "GET", path: "/v1/files" });
    expect(signed.header).not.toContain(apiSecret);
  });
});
