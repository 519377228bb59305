//! Presence through the repo: per document, the local state published to the peers the
//! document is shared with, what they published, and passing on what is news to peers
//! further away (see the `presence` module for the messages).

use std::collections::BTreeMap;

use crate::actor::ActorId;
use crate::presence::{Presence, PresenceConfig, PresenceEvent};
use crate::value::Value;

use super::wire::RepoMessage;
use super::{DocId, Owner, PeerId, Repo, RepoError, RepoEvent};

impl Repo {
    /// Publishes our presence in document `id` (an object: name, colour, cursor…) to the
    /// peers it is shared with; changes are throttled and sent as deltas.
    pub fn set_presence(&mut self, id: &DocId, state: Value) -> Result<(), RepoError> {
        if !self.docs.contains_key(id) {
            return Err(RepoError::UnknownDoc(*id));
        }
        self.presence_of(id)?.set(state);
        self.flush_presence();
        Ok(())
    }

    /// Tells the peers of document `id` that we leave it (our presence goes at once).
    pub fn leave_presence(&mut self, id: &DocId) -> Result<(), RepoError> {
        if let Some(presence) = self.presence.get_mut(id) {
            presence.leave();
        }
        self.flush_presence();
        Ok(())
    }

    /// The presence of everyone else in document `id`, by actor (ours is not included).
    pub fn presence(&self, id: &DocId) -> BTreeMap<ActorId, Value> {
        self.presence.get(id).map(Presence::get).unwrap_or_default()
    }

    /// Our presence in document `id` as last set.
    pub fn local_presence(&self, id: &DocId) -> Option<Value> {
        self.presence.get(id).map(Presence::local)
    }

    /// Paces presence: at most one message per `config.throttle_ms`, peers expire after
    /// `config.timeout_ms` of silence (applies to documents whose presence starts later).
    pub fn set_presence_config(&mut self, config: PresenceConfig) {
        self.presence_config = config;
    }

    /// The presence of document `id`, created on first use (needs an identity).
    pub(super) fn presence_of(&mut self, id: &DocId) -> Result<&mut Presence, RepoError> {
        let Owner::Identity(identity) = &self.owner else {
            return Err(RepoError::NoIdentity);
        };
        Ok(self
            .presence
            .entry(*id)
            .or_insert_with(|| Presence::new(identity, self.presence_config.clone())))
    }

    /// Sends every presence message that is due to the peers of its document.
    pub(super) fn flush_presence(&mut self) {
        let now = self.now;
        let due: Vec<(DocId, Vec<u8>)> = self
            .presence
            .iter_mut()
            .filter(|(_, p)| p.is_set())
            .filter_map(|(id, p)| p.poll_message(now).map(|m| (*id, m)))
            .collect();
        for (id, message) in due {
            self.send_presence(&id, message, None);
        }
    }

    /// Sends presence message `message` of document `id` to every peer it is shared with
    /// but `except`.
    pub(super) fn send_presence(&mut self, id: &DocId, message: Vec<u8>, except: Option<&PeerId>) {
        let message = RepoMessage::Presence { doc: *id, message };
        for peer in self.peers_sharing(id, except) {
            self.send(&peer, &message);
        }
    }

    /// A peer's presence message about document `id`: take it in, report what changed, and
    /// pass it on if it is news.
    pub(super) fn receive_presence(
        &mut self,
        peer: &PeerId,
        id: DocId,
        message: Vec<u8>,
    ) -> Result<(), RepoError> {
        if !self.docs.contains_key(&id) || !self.shares(peer, &id) {
            return Ok(());
        }
        let now = self.now;
        let presence = match self.presence_of(&id) {
            Ok(p) => p,
            // Without an identity we keep no presence (and pass none on).
            Err(RepoError::NoIdentity) => return Ok(()),
            Err(e) => return Err(e),
        };
        let (event, news) = presence
            .receive_relayable(&message, now)
            .map_err(|source| RepoError::Presence {
                peer: peer.clone(),
                source,
            })?;
        match event {
            Some(PresenceEvent::Updated(actor)) => self
                .events
                .push_back(RepoEvent::PresenceChanged { doc: id, actor }),
            Some(PresenceEvent::Gone(actor)) => self
                .events
                .push_back(RepoEvent::PresenceGone { doc: id, actor }),
            None => {}
        }
        if news {
            self.send_presence(&id, message, Some(peer));
        }
        Ok(())
    }
}
