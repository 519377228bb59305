/** The error every dagsync call throws: a real `Error` with a stable machine-readable `code`. */
export class DagsyncError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "DagsyncError";
    /** Stable error code, e.g. "corrupt", "invalid-argument". */
    this.code = code;
  }
}
