/** Stable machine-readable codes of {@link DagsyncError}. */
export type DagsyncErrorCode =
  | "corrupt"
  | "unsupported"
  | "invalid-argument"
  | "busy"
  | (string & {});

/** The error every dagsync call throws: a real `Error` with a stable `code`. */
export declare class DagsyncError extends Error {
  constructor(code: DagsyncErrorCode, message: string);
  readonly name: "DagsyncError";
  /** Stable machine-readable error code, e.g. `"corrupt"`. */
  readonly code: DagsyncErrorCode;
}
