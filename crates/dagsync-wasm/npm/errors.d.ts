/** Stable machine-readable codes of {@link DagsyncError}. */
export type DagsyncErrorCode =
  /** Bytes that are not a valid dagsync encoding (bad magic, checksum, structure). */
  | "corrupt"
  /** Bytes of a newer or unknown format version. */
  | "unsupported"
  /** A change whose bytes do not hash to the id they claim (forged or altered). */
  | "bad-hash"
  /** A change whose signature does not verify against its author's key. */
  | "bad-signature"
  /** A change, or a local edit, by an actor without write permission. */
  | "not-authorized"
  /** A remote change with invalid operations or references to things that do not exist. */
  | "invalid-change"
  /** An argument of the wrong type or shape. */
  | "invalid-argument"
  /** An index or range outside a container (or inside a UTF-16 surrogate pair). */
  | "out-of-range"
  /** A hash that names no change of the history. */
  | "unknown-change"
  /** A handle whose container is not (or no longer) in the document. */
  | "unknown-container"
  /** An edit of a read-only view of a past version. */
  | "read-only"
  /** A call made while another call on the same document is still running. */
  | "busy"
  /** No secure random source for a new identity. */
  | "no-randomness"
  /** The origin's storage quota is used up (a `Repo` keeps the writes and retries them). */
  | "quota-exceeded"
  /** Storage failed: a failed or aborted transaction (writes kept and retried), or a
   * database that could not be opened. */
  | "storage-failed"
  /** A call on a closed `Repo`. */
  | "closed"
  /** A peer was refused, or sent something refused. */
  | "peer-refused"
  /** The document's own history could not be replayed (a bug: please report it). */
  | "internal"
  /** A network could not do what was asked (an API the browser lacks, a refused connection, a
   * network not started or closed). */
  | "network"
  /** A collection query that does not parse (the message says where and why). */
  | "invalid-query"
  | (string & {});

/** The error every dagsync call throws: a real `Error` with a stable `code`. */
export declare class DagsyncError extends Error {
  constructor(code: DagsyncErrorCode, message: string);
  readonly name: "DagsyncError";
  /** Stable machine-readable error code, e.g. `"corrupt"`. */
  readonly code: DagsyncErrorCode;
}
