//! Core errors mapped to JS `DagsyncError` objects (the only place that knows both).

use std::fmt;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    /// The JS class `DagsyncError extends Error`, re-exported by the package entry point.
    #[wasm_bindgen(js_name = DagsyncError)]
    type JsDagsyncError;

    #[wasm_bindgen(constructor, js_class = "DagsyncError")]
    fn new(code: &str, message: &str) -> JsDagsyncError;

    /// Reports an exception thrown by a listener without interrupting the call that
    /// delivered the event (rethrown from a microtask, like `EventTarget` listeners).
    #[wasm_bindgen(js_name = reportListenerError)]
    pub(crate) fn report_listener_error(error: JsValue);
}

/// The stable `code` strings of `DagsyncError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Bytes that are not a valid dagsync encoding (bad magic, checksum, structure).
    Corrupt,
    /// Bytes of a newer or unknown format version.
    Unsupported,
    /// A change whose bytes do not hash to the id they claim (forged or altered).
    BadHash,
    /// A change whose signature does not verify against its author's key.
    BadSignature,
    /// A change, or a local edit, by an actor without write permission.
    NotAuthorized,
    /// A remote change with invalid operations or references to things that do not exist.
    InvalidChange,
    /// A JS argument of the wrong type or shape.
    InvalidArgument,
    /// An index or range outside a container (or splitting a UTF-16 surrogate pair).
    OutOfRange,
    /// A hash that names no change of the history.
    UnknownChange,
    /// A container handle whose container is not (or no longer) in the document.
    UnknownContainer,
    /// An edit of a read-only document (a view of a past version).
    ReadOnly,
    /// A call made while another call on the same document is still running (re-entrancy).
    Busy,
    /// The platform has no secure random source for a new identity.
    NoRandomness,
    /// The origin's storage quota is used up (the writes are kept and retried).
    QuotaExceeded,
    /// Storage failed: a transaction failed or was aborted (the writes are kept and retried),
    /// or the database could not be opened.
    StorageFailed,
    /// A call on a closed `Repo` (or its storage).
    Closed,
    /// A peer was refused, or sent something refused.
    PeerRefused,
    /// The document's own history could not be replayed (a bug: please report it).
    Internal,
    /// A network could not do what was asked: an API the browser lacks, a connection it
    /// refused, a network not started or closed.
    Network,
    /// A collection query that does not parse (the message says where and why).
    InvalidQuery,
}

impl ErrorCode {
    /// The string JS sees in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::BadHash => "bad-hash",
            ErrorCode::BadSignature => "bad-signature",
            ErrorCode::NotAuthorized => "not-authorized",
            ErrorCode::InvalidChange => "invalid-change",
            ErrorCode::InvalidArgument => "invalid-argument",
            ErrorCode::OutOfRange => "out-of-range",
            ErrorCode::UnknownChange => "unknown-change",
            ErrorCode::UnknownContainer => "unknown-container",
            ErrorCode::ReadOnly => "read-only",
            ErrorCode::Busy => "busy",
            ErrorCode::NoRandomness => "no-randomness",
            ErrorCode::QuotaExceeded => "quota-exceeded",
            ErrorCode::StorageFailed => "storage-failed",
            ErrorCode::Closed => "closed",
            ErrorCode::PeerRefused => "peer-refused",
            ErrorCode::Internal => "internal",
            ErrorCode::Network => "network",
            ErrorCode::InvalidQuery => "invalid-query",
        }
    }
}

/// A failure on its way to JS: a code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingError {
    /// Which kind of failure.
    pub code: ErrorCode,
    /// What went wrong, for humans.
    pub message: String,
}

impl BindingError {
    /// A new error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        BindingError {
            code,
            message: message.into(),
        }
    }

    /// An `invalid-argument` error.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        BindingError::new(ErrorCode::InvalidArgument, message)
    }
}

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The code of a refused remote change.
fn apply_code(err: &dagsync::ApplyError) -> ErrorCode {
    match err {
        dagsync::ApplyError::BadSignature { .. } => ErrorCode::BadSignature,
        dagsync::ApplyError::NotAuthorized { .. } => ErrorCode::NotAuthorized,
        _ => ErrorCode::InvalidChange,
    }
}

impl From<dagsync::DecodeError> for BindingError {
    fn from(err: dagsync::DecodeError) -> Self {
        let code = match &err {
            dagsync::DecodeError::UnsupportedVersion(_) => ErrorCode::Unsupported,
            dagsync::DecodeError::HashMismatch { .. } => ErrorCode::BadHash,
            dagsync::DecodeError::Rejected(apply) => apply_code(apply),
            _ => ErrorCode::Corrupt,
        };
        BindingError::new(code, err.to_string())
    }
}

impl From<dagsync::ApplyError> for BindingError {
    fn from(err: dagsync::ApplyError) -> Self {
        BindingError::new(apply_code(&err), err.to_string())
    }
}

impl From<dagsync::DocError> for BindingError {
    fn from(err: dagsync::DocError) -> Self {
        let code = match err {
            dagsync::DocError::OutOfRange { .. } | dagsync::DocError::SplitsSurrogatePair(_) => {
                ErrorCode::OutOfRange
            }
            dagsync::DocError::UnknownChange(_) => ErrorCode::UnknownChange,
            dagsync::DocError::UnknownContainer | dagsync::DocError::WrongKind { .. } => {
                ErrorCode::UnknownContainer
            }
            dagsync::DocError::ReadOnly => ErrorCode::ReadOnly,
            dagsync::DocError::NotAuthorized => ErrorCode::NotAuthorized,
            dagsync::DocError::InconsistentHistory(_) => ErrorCode::Internal,
            _ => ErrorCode::InvalidArgument,
        };
        BindingError::new(code, err.to_string())
    }
}

impl From<dagsync::auth::IdentityError> for BindingError {
    fn from(err: dagsync::auth::IdentityError) -> Self {
        BindingError::new(ErrorCode::NoRandomness, err.to_string())
    }
}

impl From<dagsync::repo::StorageError> for BindingError {
    fn from(err: dagsync::repo::StorageError) -> Self {
        let code = match err {
            dagsync::repo::StorageError::Corrupt { .. } => ErrorCode::Corrupt,
            _ => ErrorCode::StorageFailed,
        };
        BindingError::new(code, err.to_string())
    }
}

impl From<dagsync::repo::RepoError> for BindingError {
    fn from(err: dagsync::repo::RepoError) -> Self {
        use dagsync::repo::RepoError as E;
        let code = match &err {
            E::Storage(storage) => return storage.clone().into(),
            E::Sync { source, .. } | E::Frame { source, .. } => {
                let code = BindingError::from(source.clone()).code;
                return BindingError::new(code, err.to_string());
            }
            E::Malformed { .. } => ErrorCode::Corrupt,
            E::DocBusy(_) => ErrorCode::Busy,
            E::NoRandomness(_) => ErrorCode::NoRandomness,
            E::UnknownDoc(_) => ErrorCode::InvalidArgument,
            _ => ErrorCode::PeerRefused,
        };
        BindingError::new(code, err.to_string())
    }
}

#[cfg(feature = "repo")]
impl From<dagsync_idb::IdbError> for BindingError {
    fn from(err: dagsync_idb::IdbError) -> Self {
        use dagsync_idb::IdbError as E;
        let code = match &err {
            E::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            E::CorruptRow { .. } => ErrorCode::Corrupt,
            E::UnsupportedSchema { .. } => ErrorCode::Unsupported,
            E::Closed => ErrorCode::Closed,
            _ => ErrorCode::StorageFailed,
        };
        BindingError::new(code, err.to_string())
    }
}

impl From<BindingError> for JsValue {
    fn from(err: BindingError) -> Self {
        JsDagsyncError::new(err.code.as_str(), &err.message).into()
    }
}

/// Result of a binding call; the error becomes a thrown `DagsyncError`.
pub(crate) type JsResult<T> = Result<T, BindingError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_failures_have_their_codes() {
        use dagsync_idb::IdbError;
        let code = |e: IdbError| BindingError::from(e).code.as_str();
        assert_eq!(
            code(IdbError::QuotaExceeded("full".into())),
            "quota-exceeded"
        );
        assert_eq!(
            code(IdbError::Transaction("aborted".into())),
            "storage-failed"
        );
        assert_eq!(
            code(IdbError::CorruptRow {
                key: "k".into(),
                reason: "r".into()
            }),
            "corrupt"
        );
        assert_eq!(
            code(IdbError::UnsupportedSchema {
                found: 9,
                supported: 1
            }),
            "unsupported"
        );
        assert_eq!(code(IdbError::Closed), "closed");
    }
}
