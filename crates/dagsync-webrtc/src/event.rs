//! What a transport tells its owner (the repo): peers coming and going, and their frames.

use std::collections::VecDeque;
use std::rc::Rc;

/// What a network tells the repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkEvent {
    /// A peer became reachable; frames to it must be at most `max_frame` bytes.
    PeerConnected {
        /// The peer, unique within this network.
        peer: String,
        /// The largest frame the link carries.
        max_frame: usize,
    },
    /// A peer is gone (closed, failed, or timed out).
    PeerDisconnected {
        /// The peer.
        peer: String,
    },
    /// A frame arrived from a connected peer.
    Frame {
        /// The peer.
        peer: String,
        /// The frame's bytes.
        bytes: Vec<u8>,
    },
}

/// Where a transport sends its events. Transports call it only from browser callbacks
/// (messages, timers, promises), never from inside one of their own methods, so the sink
/// may call back into the transport (`send`, `disconnect`, `close`).
pub type EventSink = Rc<dyn Fn(NetworkEvent)>;

/// A transport: what the repo needs of a network (the JS bindings adapt it to their
/// `Network` contract).
pub trait Transport {
    /// A short name of the transport ("broadcast-channel", "webrtc").
    fn kind(&self) -> &'static str;
    /// Starts connecting; every later event goes to `sink`, until [`Transport::close`].
    /// A closed transport starts again (same id); a started one refuses
    /// ([`crate::NetworkError::AlreadyStarted`]).
    fn start(&self, sink: EventSink) -> crate::Result<()>;
    /// Sends one frame to a connected peer (dropped if it is not connected).
    fn send(&self, peer: &str, frame: &[u8]);
    /// Drops a peer (a misbehaving one) and refuses it from now on. No event follows: the
    /// caller knows.
    fn disconnect(&self, peer: &str);
    /// Says goodbye, drops every peer and releases every callback. No event follows.
    fn close(&self);
}

/// Events a transport's state queued while it was borrowed, and the sink they go to.
#[derive(Default)]
pub(crate) struct Outbox {
    sink: Option<EventSink>,
    queue: VecDeque<NetworkEvent>,
}

impl Outbox {
    /// Starts delivering to `sink`.
    pub(crate) fn open(&mut self, sink: EventSink) {
        self.sink = Some(sink);
    }

    /// Stops delivering: queued and later events are dropped.
    pub(crate) fn close(&mut self) {
        self.sink = None;
        self.queue.clear();
    }

    /// Whether events are delivered (started and not closed).
    pub(crate) fn is_open(&self) -> bool {
        self.sink.is_some()
    }

    /// Queues an event, delivered once the state's borrow ends (see [`crate::js::with_state`]).
    pub(crate) fn push(&mut self, event: NetworkEvent) {
        if self.sink.is_some() {
            self.queue.push_back(event);
        }
    }

    /// Takes the next queued event with the sink to give it to.
    pub(crate) fn pop(&mut self) -> Option<(EventSink, NetworkEvent)> {
        let sink = self.sink.clone()?;
        let event = self.queue.pop_front()?;
        Some((sink, event))
    }
}

/// A transport state with an [`Outbox`].
pub(crate) trait Emits {
    /// The state's outbox.
    fn outbox(&mut self) -> &mut Outbox;
}
