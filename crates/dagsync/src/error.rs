//! Errors of the core's public API.

/// Why a byte buffer could not be decoded. Decoding never panics and never changes any state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the structure was complete.
    #[error("unexpected end of input at byte {offset}")]
    Truncated {
        /// Byte offset at which more input was needed.
        offset: usize,
    },
    /// The input does not start with the dagsync magic bytes.
    #[error("not a dagsync document (bad magic bytes)")]
    BadMagic,
    /// The format version is newer (or older) than this build understands.
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u8),
    /// The chunk type byte names a kind of chunk that is not expected here.
    #[error("unexpected chunk type {0:#04x}")]
    WrongChunkType(u8),
    /// The checksum over the content does not match: the bytes were corrupted.
    #[error("checksum mismatch: the data is corrupt")]
    ChecksumMismatch,
    /// A variable-length integer is longer than 10 bytes or overflows 64 bits.
    #[error("malformed variable-length integer at byte {offset}")]
    BadVarint {
        /// Byte offset where the integer starts.
        offset: usize,
    },
    /// A length or count is larger than the remaining input could hold.
    #[error("length {len} at byte {offset} exceeds the remaining input")]
    LengthOutOfBounds {
        /// The declared length.
        len: u64,
        /// Byte offset of the length field.
        offset: usize,
    },
    /// A string is not valid UTF-8.
    #[error("invalid UTF-8 in a string at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset where the string starts.
        offset: usize,
    },
    /// An index into a table (such as the actor table) is out of range.
    #[error("index {index} out of range for a table of {len}")]
    IndexOutOfRange {
        /// The index found in the input.
        index: u64,
        /// The table's length.
        len: usize,
    },
    /// Names or keys are not in strictly increasing order, so the encoding is not canonical.
    #[error("entries are not in canonical (strictly increasing) order")]
    NotCanonical,
    /// Bytes remain after the structure ended.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
}

/// Result type of the core's fallible operations.
pub type Result<T, E = DecodeError> = std::result::Result<T, E>;
