/** The error every dagsync call throws: a real `Error` with a stable machine-readable `code`. */
export class DagsyncError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "DagsyncError";
    /** Stable error code, e.g. "corrupt", "invalid-argument". */
    this.code = code;
  }
}

/** Reports an exception thrown by a dagsync event listener without interrupting the call that
 * delivered the event: it is rethrown from a microtask (as EventTarget reports listener errors). */
export function reportListenerError(error) {
  queueMicrotask(() => {
    throw error;
  });
}
