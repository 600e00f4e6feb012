/**
 * The closed set of SCIM protocol errors (RFC 7644 section 3.12). Every failure the SCIM layer reports is one of
 * these; anything else that escapes is an internal error and renders as 500, never as 404.
 */

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 table 9 `scimType` values. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  /** Seconds the client should wait before retrying; rendered as a Retry-After header. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, detail: string, scimType?: ScimType, retryAfterSeconds?: number) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The RFC 7644 error body. `status` is a string, as the RFC's examples and Entra ID expect. */
  toBody(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [SCIM_ERROR_SCHEMA], status: String(this.status), detail: this.message };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

export const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter');
export const tooMany = (detail: string) => new ScimError(400, detail, 'tooMany');
export const invalidSyntax = (detail: string) => new ScimError(400, detail, 'invalidSyntax');
export const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
export const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget');
export const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');
export const mutability = (detail: string) => new ScimError(400, detail, 'mutability');
export const invalidVersion = (detail: string) => new ScimError(400, detail, 'invalidVers');
export const badRequest = (detail: string) => new ScimError(400, detail);
export const unauthorized = (detail = 'Missing or invalid bearer token') => new ScimError(401, detail);
export const forbidden = (detail: string) => new ScimError(403, detail);
export const notFound = (detail: string) => new ScimError(404, detail);
export const methodNotAllowed = (detail: string) => new ScimError(405, detail);
export const uniqueness = (detail: string) => new ScimError(409, detail, 'uniqueness');
export const preconditionFailed = (detail: string) => new ScimError(412, detail);
export const payloadTooLarge = (detail: string) => new ScimError(413, detail);
export const unsupportedMediaType = (detail: string) => new ScimError(415, detail);
export const notImplemented = (detail: string) => new ScimError(501, detail);
export const unavailable = (detail: string, retryAfterSeconds = 5) =>
  new ScimError(503, detail, undefined, retryAfterSeconds);
export const internal = (detail = 'Internal server error') => new ScimError(500, detail);

/** A value quoted in an error detail, cut short: details are shown to IdP admins and logged. */
export function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Maps anything thrown to a ScimError: known ones pass through; the rest become 500 without leaking internals. */
export function toScimError(err: unknown): ScimError {
  return err instanceof ScimError ? err : internal();
}
