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
    /// An unknown tag byte (value type, operation type, ...).
    #[error("unknown tag {tag} at byte {offset}")]
    UnknownTag {
        /// The tag found.
        tag: u8,
        /// Byte offset of the tag.
        offset: usize,
    },
    /// Values nest deeper than the decoder allows.
    #[error("values nested too deeply at byte {offset}")]
    TooDeep {
        /// Byte offset where the limit was reached.
        offset: usize,
    },
    /// The bytes decode, but describe a history that is not valid (a change references
    /// something missing, overlapping operation ids, ...).
    #[error("invalid history: {0}")]
    InvalidHistory(String),
    /// The bytes decode, but a change they hold was refused (bad signature, not authorized,
    /// invalid operations): nothing was applied.
    #[error("{0}")]
    Rejected(ApplyError),
    /// Bytes remain after the structure ended.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
    /// The compressed body does not inflate to its declared length.
    #[error("corrupt compressed body")]
    BadCompression,
    /// The decoded changes would take far more memory than the input's size (a long container
    /// name named by very many operations), so decoding stops instead of allocating it.
    #[error("decoding would allocate too much memory for the input's size")]
    TooLarge,
    /// A change does not hash to the id the bytes claim for it: it was forged or altered.
    #[error("change hashes to {actual}, but the bytes claim {claimed}")]
    HashMismatch {
        /// The id the bytes claim.
        claimed: crate::ChangeHash,
        /// The hash of the change as decoded.
        actual: crate::ChangeHash,
    },
}

/// Result type of the core's fallible operations.
pub type Result<T, E = DecodeError> = std::result::Result<T, E>;

/// Why a local edit was refused. A refused edit changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// An index or range lies outside the container.
    #[error("index {index} (+{len}) out of range for length {size}")]
    OutOfRange {
        /// The index asked for.
        index: u64,
        /// The length of the range asked for.
        len: u64,
        /// The container's length.
        size: u64,
    },
    /// A UTF-16 index falls between the two halves of a surrogate pair.
    #[error("UTF-16 index {0} splits a surrogate pair")]
    SplitsSurrogatePair(u64),
    /// The container exists but is of another kind.
    #[error("container is a {found}, not a {expected}")]
    WrongKind {
        /// The kind the call needs.
        expected: crate::ContainerKind,
        /// The container's kind.
        found: crate::ContainerKind,
    },
    /// No container with this id exists in the document.
    #[error("no such container")]
    UnknownContainer,
    /// No change with this hash is in the history.
    #[error("no change {0} in the history")]
    UnknownChange(crate::ChangeHash),
    /// The document's own history could not be replayed (a bug: please report it).
    #[error("the history could not be replayed: {0}")]
    InconsistentHistory(String),
    /// The document is a read-only view.
    #[error("the document is read-only")]
    ReadOnly,
    /// A key pair that is not the document's actor's.
    #[error("the identity's public key is not the document's actor id")]
    WrongIdentity,
    /// The local actor may not write this (restricted) document, or its access list.
    #[error("not authorized: the local actor may not write this")]
    NotAuthorized,
    /// The access list is written only through `grant` and `revoke`.
    #[error("the access-list root is reserved")]
    Reserved,
    /// An operation for unrestricted documents on a restricted one, or the other way round.
    #[error("the document is not restricted")]
    NotRestricted,
    /// The operation needs a document without history.
    #[error("the document already has a history")]
    NotEmpty,
    /// A stable position that names no item of this container (or is malformed).
    #[error("the position names no item of this container")]
    UnknownPosition,
}

/// Evidence that an author signed two different changes with one sequence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("actor {actor} equivocated: changes {existing} and {conflicting} both claim seq {seq}")]
pub struct Equivocation {
    /// The author.
    pub actor: crate::ActorId,
    /// The sequence number both changes claim.
    pub seq: u64,
    /// The change the document held first (or planned first, both arriving together).
    pub existing: crate::ChangeHash,
    /// The other one (both are kept, see [`crate::Doc::equivocations`]).
    pub conflicting: crate::ChangeHash,
}

/// Why a remote change was refused. A refused change is not applied and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// An operation names an item, operation or container the document does not have.
    #[error("change {actor}/{seq} references something that does not exist: {what}")]
    MissingReference {
        /// Author of the refused change.
        actor: crate::ActorId,
        /// Its sequence number.
        seq: u64,
        /// What was missing.
        what: String,
    },
    /// The change's author may not write what it wrote, in the permission state of the
    /// change's causal past (restricted documents).
    #[error("change {actor}/{seq} is not authorized: {what}")]
    NotAuthorized {
        /// Author of the refused change.
        actor: crate::ActorId,
        /// Its sequence number.
        seq: u64,
        /// What it may not do.
        what: String,
    },
    /// A change's signature is not its author's signature of its hash: forged, or altered on
    /// the way.
    #[error("change {actor}/{seq} has a signature that does not verify")]
    BadSignature {
        /// The author the change claims.
        actor: crate::ActorId,
        /// Its sequence number.
        seq: u64,
    },
    /// The author signed two different changes with one sequence number (equivocation), with
    /// both hashes. Applying keeps both branches instead of failing (see
    /// [`crate::Doc::equivocations`]), so this is only reported where a change is checked on
    /// its own.
    #[error("{0}")]
    Equivocation(Box<Equivocation>),
    /// An operation is malformed (wrong container kind, empty insert, overlapping op ids, ...).
    #[error("change {actor}/{seq} is invalid: {what}")]
    Invalid {
        /// Author of the refused change.
        actor: crate::ActorId,
        /// Its sequence number.
        seq: u64,
        /// What is wrong.
        what: String,
    },
}
