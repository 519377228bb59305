//! Presence: who else is here and where their cursor is — ephemeral state each peer
//! publishes (any JSON-like object: name, colour, cursor as a [`crate::StablePosition`]
//! string…), never stored in the history. Sans-IO: [`Presence::set`] the local state,
//! send what [`Presence::poll_message`] returns to every peer (it throttles, and sends only
//! the fields that changed), hand received bytes to [`Presence::receive`], and call
//! [`Presence::tick`] now and then to expire peers gone silent. Messages are signed by the
//! peer's key, so nobody can speak for another.
//!
//! Message: `"DGPR"`, version 1, the sender's 32-byte actor id, uvarint counter, uvarint base
//! (the counter the fields apply on; 0 = a full state), u8 kind (0 state, 1 leave), uvarint n,
//! n × (string key, u8 0 removed | u8 1 + value), then a 64-byte ed25519 signature of
//! everything before it.

use std::collections::{BTreeMap, HashMap};

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::actor::ActorId;
use crate::auth::Identity;
use crate::encoding::{read_value, write_value, Reader, Writer};
use crate::error::DecodeError;
use crate::value::Value;

const MAGIC: &[u8; 4] = b"DGPR";
const VERSION: u8 = 1;

/// Why a presence message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// Not a well-formed presence message.
    #[error("malformed presence message: {0}")]
    Malformed(#[from] DecodeError),
    /// The signature is not the claimed sender's.
    #[error("presence message with a bad signature")]
    BadSignature,
}

/// What changed among the peers.
#[derive(Clone, Debug, PartialEq)]
pub enum PresenceEvent {
    /// A peer's state is new or changed.
    Updated(ActorId),
    /// A peer left or went silent.
    Gone(ActorId),
}

/// How presence is paced.
#[derive(Clone, Debug)]
pub struct PresenceConfig {
    /// At most one message per this many ms (changes in between are merged).
    pub throttle_ms: u64,
    /// A peer not heard from for this long is gone; we send a heartbeat at a third of it.
    pub timeout_ms: u64,
    /// Every this many messages is a full state (so a peer that missed some catches up).
    pub full_every: u64,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        PresenceConfig {
            throttle_ms: 50,
            timeout_ms: 30_000,
            full_every: 10,
        }
    }
}

struct Peer {
    state: BTreeMap<String, Value>,
    counter: u64,
    last_seen: u64,
}

/// Local presence and what the peers published (see the module documentation).
pub struct Presence {
    key: SigningKey,
    actor: ActorId,
    config: PresenceConfig,
    local: BTreeMap<String, Value>,
    /// The state as last sent, and its counter.
    sent: BTreeMap<String, Value>,
    counter: u64,
    last_sent_at: Option<u64>,
    dirty: bool,
    /// The next message is a full state (a new peer connected).
    full_next: bool,
    /// Whether [`Presence::set`] or [`Presence::leave`] was ever called.
    published: bool,
    leaving: bool,
    peers: HashMap<ActorId, Peer>,
    /// The highest counter heard from each actor, whether or not its message applied.
    heard: HashMap<ActorId, u64>,
}

impl Presence {
    /// Presence of the actor `identity`.
    pub fn new(identity: &Identity, config: PresenceConfig) -> Presence {
        Presence {
            key: SigningKey::from_bytes(&identity.secret_key()),
            actor: identity.actor(),
            config,
            local: BTreeMap::new(),
            sent: BTreeMap::new(),
            counter: 0,
            last_sent_at: None,
            dirty: true,
            full_next: false,
            published: false,
            leaving: false,
            peers: HashMap::new(),
            heard: HashMap::new(),
        }
    }

    /// Sets the local state (an object; anything else is stored under `"value"`).
    pub fn set(&mut self, state: Value) {
        self.local = match state {
            Value::Object(fields) => fields,
            other => BTreeMap::from([("value".to_owned(), other)]),
        };
        self.dirty = true;
        self.published = true;
    }

    /// The local state.
    pub fn local(&self) -> Value {
        Value::Object(self.local.clone())
    }

    /// The peers' states, by actor.
    pub fn get(&self) -> BTreeMap<ActorId, Value> {
        // Built by inserting: `collect` would sort (one more sort routine in the wasm module).
        let mut states = BTreeMap::new();
        states.extend(
            self.peers
                .iter()
                .map(|(a, p)| (*a, Value::Object(p.state.clone()))),
        );
        states
    }

    /// Makes the next message a full state, as soon as the throttle allows: for a peer that
    /// just connected and has none of our deltas' bases.
    pub fn send_full_state(&mut self) {
        self.full_next = true;
        self.dirty = true;
    }

    /// Whether the local state was ever set (or left): only then is there anything to tell
    /// peers. A presence that only listens sends nothing.
    pub fn is_set(&self) -> bool {
        self.published
    }

    /// Announces that we leave (the next message says so).
    pub fn leave(&mut self) {
        self.leaving = true;
        self.dirty = true;
        self.published = true;
    }

    /// The message to send to every peer now, if one is due: a change not sent yet (at most
    /// one per throttle interval) or a heartbeat.
    pub fn poll_message(&mut self, now_ms: u64) -> Option<Vec<u8>> {
        let since = self.last_sent_at.map(|t| now_ms.saturating_sub(t));
        let heartbeat = since.is_some_and(|s| s >= self.config.timeout_ms / 3);
        let throttled = since.is_some_and(|s| s < self.config.throttle_ms);
        if !(self.dirty || heartbeat) || (throttled && !self.leaving) {
            return None;
        }
        self.counter += 1;
        let full = self.counter % self.config.full_every.max(1) == 1
            || self.counter == 1
            || std::mem::take(&mut self.full_next);
        let mut w = Writer::default();
        w.bytes(MAGIC);
        w.u8(VERSION);
        w.bytes(&self.actor.0);
        w.varint(self.counter);
        if full {
            w.varint(0);
        } else {
            w.varint(self.counter - 1);
        }
        w.u8(u8::from(self.leaving));
        let changed: Vec<(&String, Option<&Value>)> = if full {
            self.local.iter().map(|(k, v)| (k, Some(v))).collect()
        } else {
            let mut out: Vec<(&String, Option<&Value>)> = self
                .local
                .iter()
                .filter(|(k, v)| self.sent.get(*k) != Some(*v))
                .map(|(k, v)| (k, Some(v)))
                .collect();
            out.extend(
                self.sent
                    .keys()
                    .filter(|k| !self.local.contains_key(*k))
                    .map(|k| (k, None)),
            );
            out
        };
        w.len(changed.len());
        for (k, v) in changed {
            w.str(k);
            match v {
                None => w.u8(0),
                Some(v) => {
                    w.u8(1);
                    write_value(&mut w, v);
                }
            }
        }
        let signature = self.key.sign(&w.buf);
        w.bytes(&signature.to_bytes());
        self.sent = self.local.clone();
        self.last_sent_at = Some(now_ms);
        self.dirty = false;
        Some(w.buf)
    }

    /// Takes a peer's message in. A delta that does not apply on what we have (we missed
    /// one) is ignored until the next full state.
    pub fn receive(
        &mut self,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<Option<PresenceEvent>, PresenceError> {
        self.receive_relayable(bytes, now_ms)
            .map(|(event, _)| event)
    }

    /// [`Presence::receive`], also telling whether the message is news worth passing on to
    /// peers further away: validly signed, not ours, and newer than anything heard from its
    /// sender (so a message relayed around a cycle stops).
    pub fn receive_relayable(
        &mut self,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<(Option<PresenceEvent>, bool), PresenceError> {
        if bytes.len() < 64 {
            return Err(DecodeError::Truncated {
                offset: bytes.len(),
            }
            .into());
        }
        let (body, signature) = bytes.split_at(bytes.len() - 64);
        let mut r = Reader::new(body);
        if r.bytes(4)? != MAGIC {
            return Err(DecodeError::BadMagic.into());
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let actor = ActorId(r.array()?);
        let counter = r.varint()?;
        let base = r.varint()?;
        let leaving = match r.u8()? {
            0 => false,
            1 => true,
            tag => {
                return Err(DecodeError::UnknownTag {
                    tag,
                    offset: r.offset(),
                }
                .into())
            }
        };
        let n = r.len(2)?;
        let mut fields = Vec::with_capacity(n);
        for _ in 0..n {
            let key = r.string()?;
            let value = match r.u8()? {
                0 => None,
                1 => Some(read_value(&mut r, 0)?),
                tag => {
                    return Err(DecodeError::UnknownTag {
                        tag,
                        offset: r.offset(),
                    }
                    .into())
                }
            };
            fields.push((key, value));
        }
        r.finish()?;
        let key = VerifyingKey::from_bytes(&actor.0).map_err(|_| PresenceError::BadSignature)?;
        let signature = ed25519_dalek::Signature::from_slice(signature)
            .map_err(|_| PresenceError::BadSignature)?;
        key.verify_strict(body, &signature)
            .map_err(|_| PresenceError::BadSignature)?;
        if actor == self.actor {
            return Ok((None, false));
        }
        let heard = self.heard.entry(actor).or_insert(0);
        let news = counter > *heard;
        *heard = (*heard).max(counter);
        if leaving {
            let event = self
                .peers
                .remove(&actor)
                .map(|_| PresenceEvent::Gone(actor));
            return Ok((event, news));
        }
        if base != 0 && !self.peers.contains_key(&actor) {
            // A change of a state we never had: wait for the next full state.
            return Ok((None, news));
        }
        let peer = self.peers.entry(actor).or_insert(Peer {
            state: BTreeMap::new(),
            counter: 0,
            last_seen: now_ms,
        });
        if counter <= peer.counter {
            // A duplicate or a late message: it still shows the peer is here.
            peer.last_seen = peer.last_seen.max(now_ms);
            return Ok((None, news));
        }
        if base != 0 && base != peer.counter {
            peer.last_seen = now_ms;
            return Ok((None, news));
        }
        let before = peer.state.clone();
        if base == 0 {
            peer.state.clear();
        }
        for (key, value) in fields {
            match value {
                Some(v) => {
                    peer.state.insert(key, v);
                }
                None => {
                    peer.state.remove(&key);
                }
            }
        }
        peer.counter = counter;
        peer.last_seen = now_ms;
        let new_peer = before.is_empty() && counter == 1;
        let event = (new_peer || peer.state != before).then_some(PresenceEvent::Updated(actor));
        Ok((event, news))
    }

    /// Expires peers not heard from within the timeout.
    pub fn tick(&mut self, now_ms: u64) -> Vec<PresenceEvent> {
        let timeout = self.config.timeout_ms;
        let gone: Vec<ActorId> = self
            .peers
            .iter()
            .filter(|(_, p)| now_ms.saturating_sub(p.last_seen) > timeout)
            .map(|(a, _)| *a)
            .collect();
        for a in &gone {
            self.peers.remove(a);
        }
        gone.into_iter().map(PresenceEvent::Gone).collect()
    }
}
