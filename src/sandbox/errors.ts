// Vagon error answers. Codes that are valid HTTP statuses (400, 404, 450, 451, 452) are sent
// as the status itself; Vagon's own codes (4710, 4716-4722) travel in the body's client_code
// with the closest 4xx status, as auth.md tells clients to expect.

const HTTP_STATUS_OF_CLIENT_CODE: Record<number, number> = {
  4710: 403,
  4716: 400,
  4717: 404,
  4718: 400,
  4719: 400,
  4720: 400,
  4722: 400,
};

export function httpStatusOf(clientCode: number): number {
  return HTTP_STATUS_OF_CLIENT_CODE[clientCode] ?? clientCode;
}

export class ApiError extends Error {
  readonly clientCode: number;
  readonly httpStatus: number;

  constructor(clientCode: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.clientCode = clientCode;
    this.httpStatus = httpStatusOf(clientCode);
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
