/** Reject codes of the IC interface specification. */
export const RejectCode = {
  SysFatal: 1,
  SysTransient: 2,
  DestinationInvalid: 3,
  CanisterReject: 4,
  CanisterError: 5,
} as const;

/** The result of executing one message on a canister. */
export type CallOutcome =
  | { readonly status: 'replied'; readonly reply: Uint8Array }
  | {
      readonly status: 'rejected';
      readonly rejectCode: number;
      readonly rejectMessage: string;
      /** The IC's error code, e.g. `IC0503` for a trap. */
      readonly errorCode: string;
    };

/** @returns a reject outcome. */
export function rejected(rejectCode: number, errorCode: string, rejectMessage: string): CallOutcome {
  return { status: 'rejected', rejectCode, errorCode, rejectMessage };
}
