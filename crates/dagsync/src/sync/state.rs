//! Per-peer sync state: what we believe the peer has, what we sent it, and the source of
//! the salts our Bloom filters are keyed with. Only the last common heads persist.

use crate::dag::ChangeSet;

use sha2::{Digest, Sha256};

use crate::actor::ActorId;
use crate::dag::ChangeHash;
use crate::error::DecodeError;

use super::bloom::SALT_LEN;
use super::envelope;
use super::message::Have;

/// Magic bytes of an encoded [`SyncState`].
const MAGIC: [u8; 4] = *b"DSST";
/// The encoded sync state's format version.
const VERSION: u8 = 1;

/// Where Bloom filter salts come from.
#[derive(Clone, Debug)]
enum Salts {
    /// `SHA-256(key ‖ n)` for n = 0, 1, …: unpredictable without the key.
    Keyed { key: [u8; 32], next: u64 },
    /// One fixed salt for every filter (tests and demonstrations of poisoning only).
    Fixed([u8; SALT_LEN]),
}

impl Salts {
    fn next(&mut self) -> [u8; SALT_LEN] {
        match self {
            Salts::Keyed { key, next } => {
                let mut hasher = Sha256::new();
                hasher.update(*key);
                hasher.update(next.to_le_bytes());
                *next += 1;
                let digest: [u8; 32] = hasher.finalize().into();
                let mut salt = [0; SALT_LEN];
                salt.copy_from_slice(&digest[..SALT_LEN]);
                salt
            }
            Salts::Fixed(salt) => *salt,
        }
    }
}

/// A key from the operating system's (or the browser's) random source. Should it fail, a key
/// derived from a process-wide counter and the address of a local keeps sessions distinct,
/// though no longer unpredictable.
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if getrandom::getrandom(&mut key).is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let local = 0u8;
        let mut hasher = Sha256::new();
        hasher.update(n.to_le_bytes());
        hasher.update((std::ptr::addr_of!(local) as usize).to_le_bytes());
        key = hasher.finalize().into();
    }
    key
}

/// What one document knows about one remote peer during sync. Create one per peer (and per
/// document), pass it to every [`Doc::generate_sync_message`](crate::Doc::generate_sync_message)
/// and [`Doc::receive_sync_message`](crate::Doc::receive_sync_message) for that peer, and
/// persist it with [`SyncState::encode`] so a reconnect resumes from the last common heads.
#[derive(Clone, Debug)]
pub struct SyncState {
    /// Heads both sides had when they last agreed (persisted).
    pub(crate) shared_heads: Vec<ChangeHash>,
    /// Our heads in the last message we sent.
    pub(crate) last_sent_heads: Vec<ChangeHash>,
    /// What we knew of the peer's heads, and what we asked for, when we last sent.
    pub(crate) last_sent_view: Option<(Option<Vec<ChangeHash>>, Vec<ChangeHash>)>,
    /// The peer's heads, from its last message.
    pub(crate) their_heads: Option<Vec<ChangeHash>>,
    /// What the peer asked for in its last message (cleared once answered).
    pub(crate) their_need: Vec<ChangeHash>,
    /// What the peer asked for in its last message (kept: a repeated request is not news).
    pub(crate) their_last_need: Vec<ChangeHash>,
    /// What the peer has, from its last message.
    pub(crate) their_have: Option<Have>,
    /// Changes we sent the peer this session.
    pub(crate) sent_hashes: ChangeSet,
    /// Changes the peer sent us this session (so it has them).
    pub(crate) received: ChangeSet,
    /// We sent a message and have not heard back since.
    pub(crate) in_flight: bool,
    /// The peer's actor, when the channel authenticated it (its unsigned changes are then
    /// accepted straight from it, see `Doc::apply_changes_from`).
    pub(crate) peer_actor: Option<ActorId>,
    /// The peer's last message answered our `have`.
    pub(crate) their_answered: bool,
    /// The peer's last message said something (changes, a filter, a request) that deserves
    /// an answer, even one with nothing but our heads.
    pub(crate) reply_due: bool,
    /// The `last_sync` and our heads of the last `have` we sent (not sent again unchanged).
    pub(crate) last_have: Option<(Vec<ChangeHash>, Vec<ChangeHash>)>,
    salts: Salts,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState::new()
    }
}

impl SyncState {
    /// A fresh state for a peer we never synced with, keyed with real randomness.
    pub fn new() -> SyncState {
        SyncState::with_salts(Salts::Keyed {
            key: random_key(),
            next: 0,
        })
    }

    /// A fresh state whose filter salts are derived from `seed`: deterministic, for
    /// simulations and tests. Anyone who knows the seed can predict the salts, so real
    /// sessions use [`SyncState::new`].
    pub fn with_seed(seed: u64) -> SyncState {
        let mut hasher = Sha256::new();
        hasher.update(b"dagsync sync seed\0");
        hasher.update(seed.to_le_bytes());
        SyncState::with_salts(Salts::Keyed {
            key: hasher.finalize().into(),
            next: 0,
        })
    }

    /// A fresh state that keys every filter with the same known `salt`. Only for tests and
    /// for demonstrating the poisoning attack the random salt prevents.
    pub fn with_fixed_salt(salt: [u8; SALT_LEN]) -> SyncState {
        SyncState::with_salts(Salts::Fixed(salt))
    }

    fn with_salts(salts: Salts) -> SyncState {
        SyncState {
            shared_heads: Vec::new(),
            last_sent_heads: Vec::new(),
            last_sent_view: None,
            their_heads: None,
            their_need: Vec::new(),
            their_last_need: Vec::new(),
            their_have: None,
            sent_hashes: Default::default(),
            received: Default::default(),
            in_flight: false,
            peer_actor: None,
            their_answered: false,
            reply_due: false,
            last_have: None,
            salts,
        }
    }

    /// The salt for the next Bloom filter we send.
    pub(crate) fn next_salt(&mut self) -> [u8; SALT_LEN] {
        self.salts.next()
    }

    /// Declares that the channel to this peer authenticated it as `actor` (a handshake proved
    /// it holds that key): in documents that require signatures, its own unsigned changes
    /// (live typing not yet sealed and signed) are then accepted from it.
    pub fn set_authenticated_peer(&mut self, actor: ActorId) {
        self.peer_actor = Some(actor);
    }

    /// The heads both sides had when they last agreed, sorted.
    pub fn shared_heads(&self) -> &[ChangeHash] {
        &self.shared_heads
    }

    /// The peer's heads as of its last message (`None` before the first one).
    pub fn their_heads(&self) -> Option<&[ChangeHash]> {
        self.their_heads.as_deref()
    }

    /// Whether we sent a message and have not heard back since.
    pub fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// Forgets what was sent and lets the next
    /// [`Doc::generate_sync_message`](crate::Doc::generate_sync_message) send again: call it
    /// when the peer has been silent too long (a message may have been lost).
    pub fn timeout(&mut self) {
        self.in_flight = false;
        self.last_sent_heads.clear();
        self.last_sent_view = None;
        self.sent_hashes.clear();
        self.last_have = None;
    }

    /// Takes the last common heads of a restored state (see [`SyncState::decode`]) into
    /// this fresh one, keeping this one's salt source.
    pub fn restore_shared_heads(&mut self, heads: &[ChangeHash]) {
        self.shared_heads = heads.to_vec();
    }

    /// Records that the peer is known to have `heads` (our current heads) and nothing needs
    /// sending: the next message is generated only once something changes.
    pub fn mark_acknowledged(&mut self, heads: &[ChangeHash]) {
        self.last_sent_heads = heads.to_vec();
        self.in_flight = false;
    }

    /// The persistent part (the last common heads) as bytes: magic `DSST`, version 1,
    /// `uvarint` count, 32-byte hashes, CRC-32 (see `FORMAT.md`).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = envelope::open_writer(&MAGIC, VERSION);
        w.len(self.shared_heads.len());
        for h in &self.shared_heads {
            w.bytes(&h.0);
        }
        envelope::close(w)
    }

    /// Restores [`SyncState::encode`] bytes: the last common heads, with a fresh session
    /// (new random salts, nothing sent or received yet).
    pub fn decode(bytes: &[u8]) -> Result<SyncState, DecodeError> {
        let mut r = envelope::open_reader(bytes, &MAGIC, VERSION)?;
        let n = r.len(32)?;
        let mut heads = Vec::with_capacity(n);
        for _ in 0..n {
            heads.push(ChangeHash(r.array()?));
        }
        r.finish()?;
        let mut state = SyncState::new();
        state.shared_heads = heads;
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_round_trips_the_shared_heads() {
        let mut state = SyncState::with_seed(1);
        state.shared_heads = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
        let bytes = state.encode();
        let back = SyncState::decode(&bytes).expect("decodes");
        assert_eq!(back.shared_heads, state.shared_heads);
        for n in 0..bytes.len() {
            assert!(SyncState::decode(&bytes[..n]).is_err());
        }
        let mut flipped = bytes.clone();
        flipped[6] ^= 1;
        assert!(SyncState::decode(&flipped).is_err());
    }

    #[test]
    fn salts_differ_per_filter_and_per_session() {
        let mut a = SyncState::new();
        let mut b = SyncState::new();
        let (a1, a2, b1) = (a.next_salt(), a.next_salt(), b.next_salt());
        assert_ne!(a1, a2);
        assert_ne!(a1, b1);
        let mut s1 = SyncState::with_seed(5);
        let mut s2 = SyncState::with_seed(5);
        assert_eq!(s1.next_salt(), s2.next_salt());
        let mut f = SyncState::with_fixed_salt([3; SALT_LEN]);
        assert_eq!(f.next_salt(), [3; SALT_LEN]);
        assert_eq!(f.next_salt(), [3; SALT_LEN]);
    }
}
