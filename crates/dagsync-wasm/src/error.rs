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
}

/// The stable `code` strings of `DagsyncError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Bytes that are not a valid dagsync encoding (bad magic, checksum, structure).
    Corrupt,
    /// Bytes of a newer or unknown format version.
    Unsupported,
    /// A JS argument of the wrong type or shape.
    InvalidArgument,
    /// An index or range outside a container.
    OutOfRange,
    /// A call made while another call on the same document is still running (re-entrancy).
    Busy,
}

impl ErrorCode {
    /// The string JS sees in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::InvalidArgument => "invalid-argument",
            ErrorCode::OutOfRange => "out-of-range",
            ErrorCode::Busy => "busy",
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
}

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<dagsync::DecodeError> for BindingError {
    fn from(err: dagsync::DecodeError) -> Self {
        let code = match err {
            dagsync::DecodeError::UnsupportedVersion(_) => ErrorCode::Unsupported,
            _ => ErrorCode::Corrupt,
        };
        BindingError::new(code, err.to_string())
    }
}

impl From<dagsync::DocError> for BindingError {
    fn from(err: dagsync::DocError) -> Self {
        let code = match err {
            dagsync::DocError::OutOfRange { .. } => ErrorCode::OutOfRange,
            _ => ErrorCode::InvalidArgument,
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
