//! Why IndexedDB storage failed.

use wasm_bindgen::{JsCast, JsValue};

/// A failure of IndexedDB storage. Flush failures leave the in-memory state as it was and the
/// writes queued: they are retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdbError {
    /// IndexedDB is missing or the database could not be opened (private browsing, blocked
    /// by another tab, disabled storage).
    #[error("IndexedDB database {name:?} could not be opened: {reason}")]
    Unavailable {
        /// The database.
        name: String,
        /// The browser's reason.
        reason: String,
    },
    /// The origin's storage quota is used up: the writes stay queued and are retried.
    #[error("storage quota exceeded: {0}")]
    QuotaExceeded(String),
    /// A transaction failed or was aborted: nothing of it was committed; the writes stay
    /// queued and are retried.
    #[error("IndexedDB transaction failed: {0}")]
    Transaction(String),
    /// A stored row could not be decoded: it is skipped (the rest loads).
    #[error("corrupt row {key} skipped: {reason}")]
    CorruptRow {
        /// The row's key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The database was written by a newer version of this crate.
    #[error("database schema version {found} is newer than the supported {supported}")]
    UnsupportedSchema {
        /// The version found.
        found: u32,
        /// The newest version this crate reads.
        supported: u32,
    },
    /// The storage was closed.
    #[error("the storage is closed")]
    Closed,
}

impl IdbError {
    /// A failed request or transaction, classified (quota or otherwise).
    pub(crate) fn from_rexie(err: &rexie::Error) -> IdbError {
        let text = describe_rexie(err);
        if text.contains("QuotaExceeded") {
            IdbError::QuotaExceeded(text)
        } else {
            IdbError::Transaction(text)
        }
    }
}

/// The browser's error name and message behind a rexie error, where there is one.
fn describe_rexie(err: &rexie::Error) -> String {
    use rexie::Error as R;
    let inner = match err {
        R::IdbError(idb) => idb,
        other => return other.to_string(),
    };
    // The variants holding the DOMException (or the value thrown) of a failed request.
    let value: Option<JsValue> = match inner {
        idb::Error::DomException(e) => Some(e.clone().into()),
        idb::Error::AddFailed(v)
        | idb::Error::UpdateFailed(v)
        | idb::Error::DeleteFailed(v)
        | idb::Error::GetFailed(v)
        | idb::Error::GetAllFailed(v)
        | idb::Error::GetAllKeysFailed(v)
        | idb::Error::TransactionOpenFailed(v)
        | idb::Error::TransactionCommitError(v)
        | idb::Error::IndexedDbOpenFailed(v) => Some(v.clone()),
        _ => None,
    };
    match value {
        Some(v) => describe_js(&v),
        None => inner.to_string(),
    }
}

/// `name: message` of a thrown JS value (a `DOMException` or an `Error`).
pub(crate) fn describe_js(value: &JsValue) -> String {
    if let Some(e) = value.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", e.name(), e.message());
    }
    let field = |name: &str| {
        js_sys::Reflect::get(value, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let (name, message) = (field("name"), field("message"));
    if name.is_empty() && message.is_empty() {
        value.as_string().unwrap_or_else(|| "unknown error".into())
    } else {
        format!("{name}: {message}")
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::*;

    use super::IdbError;

    wasm_bindgen_test_configure!(run_in_browser);

    fn dom_error(name: &str) -> rexie::Error {
        let exception = web_sys::DomException::new_with_message_and_name("it failed", name)
            .expect("a DOMException");
        rexie::Error::IdbError(idb::Error::DomException(exception))
    }

    #[wasm_bindgen_test]
    fn a_full_quota_is_told_apart_from_other_failures() {
        assert!(matches!(
            IdbError::from_rexie(&dom_error("QuotaExceededError")),
            IdbError::QuotaExceeded(m) if m.contains("it failed")
        ));
        assert!(matches!(
            IdbError::from_rexie(&dom_error("AbortError")),
            IdbError::Transaction(m) if m.starts_with("AbortError")
        ));
        let thrown = js_sys::Error::new("boom");
        thrown.set_name("QuotaExceededError");
        let wrapped = rexie::Error::IdbError(idb::Error::UpdateFailed(thrown.into()));
        assert!(matches!(
            IdbError::from_rexie(&wrapped),
            IdbError::QuotaExceeded(_)
        ));
    }
}
