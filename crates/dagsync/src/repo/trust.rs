//! Who a peer is and whether it is welcome: the handshake (each side signs the other's
//! random challenge) and bans.

use crate::actor::ActorId;

use super::peer::{self, Handshake, Peer};
use super::wire::RepoMessage;
use super::{Owner, PeerId, Repo, RepoError, RepoEvent};

impl Repo {
    /// Bans `actor`: every peer that proved to be it is disconnected, and any that does
    /// later is disconnected as soon as its handshake completes.
    pub fn ban(&mut self, actor: ActorId) -> Result<(), RepoError> {
        self.banned_actors.insert(actor);
        let peers: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.actor() == Some(actor))
            .map(|(id, _)| id.clone())
            .collect();
        for peer in peers {
            self.ban_peer(&peer)?;
        }
        Ok(())
    }

    /// Disconnects `peer` and refuses it from now on ([`RepoEvent::PeerBanned`]).
    pub fn ban_peer(&mut self, peer: &PeerId) -> Result<(), RepoError> {
        self.banned_peers.insert(peer.clone());
        let actor = self.peers.get(peer).and_then(Peer::actor);
        if self.peers.contains_key(peer) {
            self.disconnect(peer)?;
            self.events.push_back(RepoEvent::PeerBanned {
                peer: peer.clone(),
                actor,
            });
        }
        Ok(())
    }

    /// The actors banned with [`Repo::ban`].
    pub fn banned_actors(&self) -> impl Iterator<Item = &ActorId> {
        self.banned_actors.iter()
    }

    /// The peer claims to be `actor` and challenges us with `nonce`: answer the challenge,
    /// and check the peer's proof if it came first.
    pub(super) fn receive_hello(
        &mut self,
        peer: &PeerId,
        actor: ActorId,
        nonce: &[u8; 32],
    ) -> Result<(), RepoError> {
        let Owner::Identity(identity) = &self.owner else {
            // Without an identity we can prove nothing; the peer syncs with us unproven.
            return Ok(());
        };
        let proof = peer::prove(identity, nonce);
        self.send(peer, &RepoMessage::Proof(proof));
        let Some(Peer {
            handshake:
                Handshake::Waiting {
                    claimed,
                    early_proof,
                    ..
                },
            ..
        }) = self.peers.get_mut(peer)
        else {
            return Ok(());
        };
        if claimed.is_some_and(|c| c != actor) {
            // A second, different claim on one connection.
            return Err(RepoError::Handshake(peer.clone()));
        }
        *claimed = Some(actor);
        match early_proof.take() {
            Some(signature) => self.receive_proof(peer, &signature),
            None => Ok(()),
        }
    }

    /// The peer answered our challenge: check the answer against the actor it claimed (or
    /// keep it until the claim arrives).
    pub(super) fn receive_proof(
        &mut self,
        peer: &PeerId,
        signature: &crate::dag::Signature,
    ) -> Result<(), RepoError> {
        let Some(p) = self.peers.get_mut(peer) else {
            return Err(RepoError::UnknownPeer(peer.clone()));
        };
        let actor = match &mut p.handshake {
            // A repeated proof (our Hello was resent) changes nothing.
            Handshake::Authenticated(_) => return Ok(()),
            Handshake::Off => return Ok(()),
            Handshake::Waiting {
                claimed: None,
                early_proof,
                ..
            } => {
                *early_proof = Some(*signature);
                return Ok(());
            }
            Handshake::Waiting {
                nonce,
                claimed: Some(claimed),
                ..
            } if peer::verify_proof(claimed, nonce, signature) => *claimed,
            Handshake::Waiting { .. } => return Err(RepoError::Handshake(peer.clone())),
        };
        p.handshake = Handshake::Authenticated(actor);
        for session in p.sessions.values_mut() {
            session.state.set_authenticated_peer(actor);
        }
        self.events.push_back(RepoEvent::PeerAuthenticated {
            peer: peer.clone(),
            actor,
        });
        if self.banned_actors.contains(&actor) {
            self.ban_peer(peer)?;
        }
        Ok(())
    }

    /// A fresh handshake challenge.
    pub(super) fn challenge(&mut self) -> Result<[u8; 32], RepoError> {
        let mut nonce = [0u8; 32];
        match self.seed {
            Some(seed) => {
                self.sessions_started += 1;
                nonce[..8].copy_from_slice(&seed.to_le_bytes());
                nonce[8..16].copy_from_slice(&self.sessions_started.to_le_bytes());
                nonce[16..].copy_from_slice(&self.actor().0[..16]);
            }
            None => getrandom::getrandom(&mut nonce)
                .map_err(|e| RepoError::NoRandomness(e.to_string()))?,
        }
        Ok(nonce)
    }
}
