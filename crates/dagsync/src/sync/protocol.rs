//! The protocol itself: [`Doc::generate_sync_message`] and [`Doc::receive_sync_message`].
//!
//! Each message carries the sender's heads, what it asks for (`need`), what it has (`have`:
//! the last common heads and a salted Bloom filter of its changes since then that the message
//! does not carry) and changes. A side that knows the last common heads of an earlier session
//! sends its changes since them straight away, so two peers that were apart converge with one
//! message each way. Otherwise (first contact, or the peer lost data) the first message
//! carries the filter, and the reply carries every change the filter does not contain plus
//! their descendants. Once a side has all of the peer's heads it knows exactly what the peer
//! lacks and sends just that, filter or not. Changes a false positive held back show up as
//! missing dependencies or unknown heads and are asked for by hash; an answer to such a request
//! carries the change with all its ancestors outside the history the peer is known to have, so
//! a chain of false positives — even mined ones — costs one extra round trip, not one per
//! change. A message that tells the receiver something new gets an answer (if only its
//! heads); repeats do not, so two sides that cannot agree (one holds back the other's
//! unauthenticated changes) go quiet instead of ping-ponging; lost messages are made up for by
//! [`SyncState::timeout`] (the repo calls it when a session is quiet but not in step).

use std::collections::HashSet;

use rustc_hash::FxHashSet;

use crate::dag::ChangeHash;
use crate::doc::Doc;

use super::bloom::BloomFilter;
use super::error::SyncError;
use super::message::{Have, Message};
use super::state::SyncState;

/// Sorted, without duplicates.
fn normalized(mut hashes: Vec<ChangeHash>) -> Vec<ChangeHash> {
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

impl Doc {
    /// The next message for the peer `state` describes, or `None` when there is nothing to
    /// say (both sides are known to have the same heads, or a message is in flight and
    /// nothing changed). Seals the open local change. Call it again after every
    /// [`Doc::receive_sync_message`] and after local changes; send what it returns over any
    /// transport.
    pub fn generate_sync_message(&mut self, state: &mut SyncState) -> Option<Vec<u8>> {
        let our_heads = self.heads();
        // Their heads we lack come with their reply to our filter; only if they are still
        // missing after it (false positives) do we ask for them.
        let wanted = match (&state.their_heads, state.their_answered) {
            (Some(heads), true) => heads.clone(),
            _ => Vec::new(),
        };
        let our_need = self.missing_hashes(&wanted);

        // The peer thinks we share changes we do not have (we lost data, or it is confused):
        // start over from nothing, with a filter of everything we have.
        let reset = state
            .their_have
            .as_ref()
            .is_some_and(|have| !have.last_sync.iter().all(|h| self.has_change(h)));
        if reset {
            state.their_have = None;
            state.their_need.clear();
            state.shared_heads.clear();
            let have = self.have(state, &[], &FxHashSet::default());
            state.last_have = Some((Vec::new(), our_heads.clone()));
            state.reply_due = false;
            state.last_sent_view = None;
            state.last_sent_heads = our_heads.clone();
            state.in_flight = true;
            let message = Message {
                heads: our_heads,
                need: our_need,
                have: Some(have),
                answers: false,
                reset: true,
                changes: Vec::new(),
            };
            return Some(message.encode());
        }

        let known_shared = state.shared_heads.iter().all(|h| self.has_change(h));
        if !known_shared {
            state.shared_heads.clear();
        }
        // Their heads, when we have them all, say exactly what they have.
        let heads_known = state
            .their_heads
            .as_ref()
            .is_some_and(|heads| heads.iter().all(|h| self.has_change(h)));
        let answers = state.their_have.is_some() || heads_known;
        let to_send: Vec<u32> = match &state.their_have {
            Some(have) => self.changes_to_send(state, have),
            None if heads_known => {
                let nothing = Have {
                    last_sync: Vec::new(),
                    bloom: BloomFilter::new([0; super::bloom::SALT_LEN], [].iter()),
                };
                self.changes_to_send(state, &nothing)
            }
            // A session resuming from known common heads: send what we added since.
            None if !state.shared_heads.is_empty() => self
                .indexes_since(&state.shared_heads)
                .unwrap_or_default()
                .into_iter()
                .filter(|&i| {
                    self.hash_at(i).is_some_and(|h| {
                        !state.sent_hashes.contains(&h) && !state.received.contains(&h)
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        // Only what the peer can authenticate travels (documents requiring signatures).
        let to_send = self.relayable_only(to_send);
        state.their_need.clear();

        let heads_unchanged = state.last_sent_heads == our_heads;
        let heads_equal = state.their_heads.as_ref() == Some(&our_heads);
        // Saying again what we said, to a peer that said nothing new, is no use (a peer whose
        // changes we cannot take would otherwise ping-pong with us forever); a lost message
        // is re-sent after `SyncState::timeout`.
        let view = (state.their_heads.clone(), our_need.clone());
        let nothing_new =
            heads_unchanged && to_send.is_empty() && state.last_sent_view.as_ref() == Some(&view);
        if !state.reply_due
            && (nothing_new
                || (heads_unchanged && ((heads_equal && to_send.is_empty()) || state.in_flight)))
        {
            return None;
        }
        state.reply_due = false;
        state.last_sent_view = Some(view);

        // A filter is sent when it says something new: other common heads or other heads.
        let last_sync = state.shared_heads.clone();
        let have_key = (last_sync, our_heads.clone());
        // No filter either when the peer has just what we have.
        let have = if heads_equal || state.last_have.as_ref() == Some(&have_key) {
            None
        } else {
            let sending: FxHashSet<u32> = to_send.iter().copied().collect();
            let have = self.have(state, &have_key.0, &sending);
            state.last_have = Some(have_key);
            Some(have)
        };
        let changes = if to_send.is_empty() {
            Vec::new()
        } else {
            self.encode_indexes(&to_send)
        };
        state
            .sent_hashes
            .extend(to_send.iter().filter_map(|&i| self.hash_at(i)));
        state.last_sent_heads = our_heads.clone();
        state.in_flight = true;
        let message = Message {
            heads: our_heads,
            need: our_need,
            have,
            answers,
            reset: false,
            changes,
        };
        Some(message.encode())
    }

    /// Our `have`: `last_sync` and a filter of our changes since it, except those in
    /// `sending` (the message carries them) and those sent earlier this session (if the
    /// peer got them it knows we have them; if not, it cannot send them back).
    fn have(
        &mut self,
        state: &mut SyncState,
        last_sync: &[ChangeHash],
        sending: &FxHashSet<u32>,
    ) -> Have {
        let since = self.indexes_since(last_sync).unwrap_or_default();
        let hashes: Vec<ChangeHash> = since
            .into_iter()
            .filter(|i| !sending.contains(i))
            .filter_map(|i| self.hash_at(i))
            .filter(|h| !state.sent_hashes.contains(h))
            .collect();
        Have {
            last_sync: last_sync.to_vec(),
            bloom: BloomFilter::new(state.next_salt(), hashes.iter()),
        }
    }

    /// Log indexes (ascending) of the changes the peer lacks according to `have` and its
    /// requests: ours since its last sync that are not in its filter, their descendants, and
    /// what it asked for with every ancestor since its last sync. Changes already sent this
    /// session are not sent again unless asked for.
    fn changes_to_send(&mut self, state: &SyncState, have: &Have) -> Vec<u32> {
        // They have the history of their last sync and of those of their heads we have.
        // When we have all their heads, that is exactly what they have: no filter needed.
        let their_heads = state.their_heads.as_deref().unwrap_or_default();
        let mut known: Vec<ChangeHash> = have.last_sync.clone();
        known.extend(their_heads.iter().filter(|h| self.has_change(h)).copied());
        let exact =
            state.their_heads.is_some() && known.len() == have.last_sync.len() + their_heads.len();
        let since = self
            .indexes_since(&known)
            .or_else(|_| self.indexes_since(&have.last_sync))
            .unwrap_or_default();
        let mut send: FxHashSet<u32> = FxHashSet::default();
        for &i in &since {
            let Some(hash) = self.hash_at(i) else {
                continue;
            };
            if state.received.contains(&hash) {
                continue;
            }
            // Log order is causal: one pass finds the descendants of what is sent.
            if exact
                || !have.bloom.contains(&hash)
                || self.deps_at(i).iter().any(|d| send.contains(d))
            {
                send.insert(i);
            }
        }
        if !exact {
            // A false positive costs a request and its answer, so send a few claimed changes
            // along where a claim is most likely false: our heads (they lack something, maybe
            // those), and the claimed parents of what we send (they lack the child).
            let in_since: FxHashSet<u32> = since.iter().copied().collect();
            let mut extra: Vec<u32> = self
                .heads()
                .iter()
                .filter_map(|h| self.index_of(h))
                .collect();
            for &i in &send {
                extra.extend(self.deps_at(i).iter().copied());
            }
            for i in extra {
                let theirs = self.hash_at(i).is_none_or(|h| state.received.contains(&h));
                if in_since.contains(&i) && !theirs {
                    send.insert(i);
                }
            }
        }
        send.retain(|&i| {
            self.hash_at(i)
                .is_some_and(|h| !state.sent_hashes.contains(&h))
        });
        if !state.their_need.is_empty() {
            // Asked for: the change and its ancestors outside the history we know they have
            // (their last sync and those of their heads we have). Changes their filter
            // falsely claimed (a chain of mined hashes, say) all come in this one answer.
            let in_since: FxHashSet<u32> = since.iter().copied().collect();
            let mut stack: Vec<u32> = state
                .their_need
                .iter()
                .filter_map(|h| self.index_of(h))
                .collect();
            let mut seen: HashSet<u32> = HashSet::new();
            while let Some(i) = stack.pop() {
                if !seen.insert(i) {
                    continue;
                }
                send.insert(i);
                stack.extend(
                    self.deps_at(i)
                        .iter()
                        .copied()
                        .filter(|d| in_since.contains(d)),
                );
            }
        }
        let mut out: Vec<u32> = send.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// Applies a message from the peer `state` describes: its changes (all or nothing),
    /// and what it says about its heads and history. A malformed message or invalid changes
    /// are a [`SyncError`]; then neither the document nor `state` changes.
    pub fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> Result<(), SyncError> {
        let message = Message::decode(bytes).map_err(SyncError::Malformed)?;
        let before_heads = self.heads();
        let heads = normalized(message.heads);
        let mut news = false;
        if !message.changes.is_empty() {
            let waiting = self.waiting_count();
            let (report, hashes) = self
                .import_chunk(&message.changes, state.peer_actor.as_ref())
                .map_err(SyncError::InvalidChanges)?;
            news = report.applied > 0 || report.pending > waiting;
            state.received.extend(hashes);
            let after_heads = self.heads();
            state.shared_heads = advance_heads(&before_heads, &after_heads, &state.shared_heads);
        }
        if message.changes.is_empty() && heads == before_heads {
            state.last_sent_heads = heads.clone();
        }
        let known: Vec<ChangeHash> = heads
            .iter()
            .copied()
            .filter(|h| self.has_change(h))
            .collect();
        if known.len() == heads.len() {
            state.shared_heads = heads.clone();
        } else {
            let mut shared = std::mem::take(&mut state.shared_heads);
            shared.extend(known);
            state.shared_heads = normalized(shared);
        }
        // The peer starts over (or has nothing): what we sent may be gone, and it needs our
        // filter again.
        let emptied = heads.is_empty()
            && state
                .their_heads
                .as_ref()
                .is_some_and(|previous| !previous.is_empty());
        if message.reset || emptied {
            state.sent_hashes.clear();
            state.last_sent_heads.clear();
            state.last_have = None;
        }
        // A message that tells us something new deserves an answer (if only our heads), so
        // a peer waiting for one learns where we are; repeats do not (no endless ping-pong
        // with a peer whose changes we hold back or cannot take).
        let need = normalized(message.need);
        let substantive = message.reset
            || news
            || (!need.is_empty() && need != state.their_last_need)
            || message.have.is_some();
        if message.have.is_some() {
            state.their_have = message.have;
        }
        state.their_answered = message.answers;
        state.reply_due = substantive;
        // In step: what was sent or received this session is in both histories, so the
        // session's bookkeeping can go (it would otherwise grow with a long live session).
        if heads == self.heads() {
            state.sent_hashes.clear();
            state.received.clear();
        }
        state.their_heads = Some(heads);
        state.their_last_need = need.clone();
        state.their_need = need;
        state.in_flight = false;
        Ok(())
    }
}

/// The last common heads after applying the peer's changes: the new heads those changes
/// made, plus the old common heads that are still heads.
fn advance_heads(
    before: &[ChangeHash],
    after: &[ChangeHash],
    shared: &[ChangeHash],
) -> Vec<ChangeHash> {
    let before: HashSet<&ChangeHash> = before.iter().collect();
    let after_set: HashSet<&ChangeHash> = after.iter().collect();
    let mut out: Vec<ChangeHash> = after
        .iter()
        .filter(|h| !before.contains(h))
        .chain(shared.iter().filter(|h| after_set.contains(h)))
        .copied()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
