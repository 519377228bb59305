//! Why a transport operation failed.

/// Why a transport operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// The environment lacks an API the transport needs.
    #[error("{0} is not available in this environment")]
    Unsupported(&'static str),
    /// A setting is out of range or malformed.
    #[error("invalid network setting: {0}")]
    InvalidConfig(String),
    /// The network is started already: a network serves one repo at a time (close it first).
    #[error("the network is started already (a network serves one repo at a time)")]
    AlreadyStarted,
    /// The operation needs a started network (it was never started, or it was closed).
    #[error("the network is not started (or was closed)")]
    NotStarted,
    /// A manual offer or answer string is malformed, or answers no pending offer.
    #[error("bad offer or answer: {0}")]
    BadSignal(String),
    /// The browser refused an operation; its message.
    #[error("the browser refused: {0}")]
    Browser(String),
}

impl NetworkError {
    /// A [`NetworkError::Browser`] from what a browser API threw or rejected with.
    pub(crate) fn browser(value: &wasm_bindgen::JsValue) -> NetworkError {
        let message = js_sys::Reflect::get(value, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}"));
        NetworkError::Browser(message)
    }
}

/// Result of a transport operation.
pub type Result<T> = std::result::Result<T, NetworkError>;
