/** Categories of gateway failures, for callers that branch on the category. */
export type GatewayErrorKind = 'config' | 'protocol' | 'replica' | 'internal';

/** Base class of the errors this package throws, with a stable `code`. */
export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  hasCode(code: string): boolean {
    return this.code === code;
  }
}
