//! Topics (rooms) and their subscribers: the y-webrtc signaling semantics.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::extract::ws::Message;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::limits::Limits;

/// A connection's id.
pub type ConnId = u64;

#[derive(Default)]
struct State {
    senders: HashMap<ConnId, UnboundedSender<Message>>,
    topics: HashMap<String, BTreeSet<ConnId>>,
    subscribed: HashMap<ConnId, BTreeSet<String>>,
}

/// Every connection and topic of one server.
#[derive(Default)]
pub struct Hub {
    state: Mutex<State>,
    next: AtomicU64,
}

impl Hub {
    /// Registers a connection; messages for it go to `sender`.
    pub fn join(&self, sender: UnboundedSender<Message>) -> ConnId {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.senders.insert(id, sender);
        state.subscribed.insert(id, BTreeSet::new());
        id
    }

    /// Forgets a connection and its subscriptions.
    pub fn leave(&self, id: ConnId) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.senders.remove(&id);
        for topic in state.subscribed.remove(&id).unwrap_or_default() {
            if let Some(subs) = state.topics.get_mut(&topic) {
                subs.remove(&id);
                if subs.is_empty() {
                    state.topics.remove(&topic);
                }
            }
        }
    }

    /// Number of subscribers of `topic`.
    pub fn subscribers(&self, topic: &str) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.topics.get(topic).map_or(0, BTreeSet::len)
    }

    /// Handles one text message of connection `id`. Messages that are not JSON objects with a
    /// known `type` are ignored, as y-webrtc servers do; `Err` (a reason) closes the
    /// connection.
    pub fn handle(&self, id: ConnId, text: &str, limits: &Limits) -> Result<(), &'static str> {
        let Ok(Value::Object(mut message)) = serde_json::from_str::<Value>(text) else {
            return Ok(());
        };
        let kind = message.get("type").and_then(Value::as_str).unwrap_or("");
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match kind {
            "subscribe" => {
                let topics = topic_list(&message);
                let asked = state.subscribed.get(&id).map_or(0, BTreeSet::len) + topics.len();
                if asked > 2 * limits.max_topics {
                    return Err("too many topics");
                }
                for topic in topics {
                    let mine = state.subscribed.entry(id).or_default();
                    if mine.len() >= limits.max_topics && !mine.contains(&topic) {
                        break;
                    }
                    mine.insert(topic.clone());
                    state.topics.entry(topic).or_default().insert(id);
                }
            }
            "unsubscribe" => {
                for topic in topic_list(&message) {
                    if let Some(mine) = state.subscribed.get_mut(&id) {
                        mine.remove(&topic);
                    }
                    if let Some(subs) = state.topics.get_mut(&topic) {
                        subs.remove(&id);
                        if subs.is_empty() {
                            state.topics.remove(&topic);
                        }
                    }
                }
            }
            "publish" => {
                let Some(topic) = message
                    .get("topic")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                else {
                    return Ok(());
                };
                let Some(receivers) = state.topics.get(&topic) else {
                    return Ok(());
                };
                message.insert("clients".to_owned(), Value::from(receivers.len()));
                let out = Message::Text(Value::Object(message).to_string().into());
                for receiver in receivers {
                    if let Some(sender) = state.senders.get(receiver) {
                        let _ = sender.send(out.clone());
                    }
                }
            }
            "ping" => {
                if let Some(sender) = state.senders.get(&id) {
                    let _ = sender.send(Message::Text(r#"{"type":"pong"}"#.into()));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The string topics of a subscribe/unsubscribe message (others are ignored).
fn topic_list(message: &serde_json::Map<String, Value>) -> Vec<String> {
    message
        .get("topics")
        .and_then(Value::as_array)
        .map(|topics| {
            topics
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
