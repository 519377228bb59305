//! Framing: any message splits into frames of at most a configured size (64 KiB by default,
//! what WebRTC data channels carry everywhere) and is reassembled on the other side.
//!
//! A frame is `0xDF`, `uvarint` message id, `uvarint` index, `uvarint` count, then a slice of
//! the message. The reassembler keeps a bounded number of partial messages and a bounded
//! number of buffered bytes; frames of a message that never completes are dropped when room
//! is needed (the sync protocol's retries recover).

use std::collections::{BTreeMap, VecDeque};

use crate::encoding::{Reader, Writer};

use super::error::SyncError;

/// The first byte of every frame.
const FRAME_TAG: u8 = 0xDF;
/// Default maximum frame size: 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;
/// Bytes a frame header takes at most; a frame carries `max_frame - FRAME_OVERHEAD` bytes of
/// its message.
pub const FRAME_OVERHEAD: usize = 32;
/// Frames are never smaller than this, whatever is configured.
const MIN_FRAME: usize = FRAME_OVERHEAD + 32;
/// Default limit of a reassembled message: 256 MiB.
const DEFAULT_MAX_MESSAGE: usize = 256 << 20;
/// Default number of messages reassembled at once.
const DEFAULT_MAX_PARTIAL: usize = 16;
/// Ids of this many recently completed messages are remembered, so late duplicates of their
/// frames are ignored instead of starting a new partial message.
const REMEMBERED: usize = 64;

/// Splits `message` into frames of at most `max_frame` bytes (at least 64), tagged with
/// `message_id` (which should differ between the messages a sender has in flight).
pub fn split_frames(message: &[u8], message_id: u64, max_frame: usize) -> Vec<Vec<u8>> {
    let payload = max_frame.max(MIN_FRAME) - FRAME_OVERHEAD;
    let count = message.len().div_ceil(payload).max(1);
    let mut frames = Vec::with_capacity(count);
    for index in 0..count {
        let start = index * payload;
        let end = (start + payload).min(message.len());
        let mut w = Writer::default();
        w.u8(FRAME_TAG);
        w.varint(message_id);
        w.len(index);
        w.len(count);
        w.bytes(&message[start.min(end)..end]);
        frames.push(w.buf);
    }
    frames
}

/// A message being reassembled.
#[derive(Debug)]
struct Partial {
    /// The frame count the frames announce.
    count: usize,
    /// The frames received so far, by index (memory follows what arrived, not the count).
    parts: BTreeMap<usize, Vec<u8>>,
    received: usize,
    bytes: usize,
}

/// Reassembles framed messages from one sender, in any order, ignoring duplicate frames.
#[derive(Debug)]
pub struct Reassembler {
    max_message: usize,
    max_partial: usize,
    partial: BTreeMap<u64, Partial>,
    buffered: usize,
    completed: VecDeque<u64>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Reassembler::new(DEFAULT_MAX_MESSAGE)
    }
}

impl Reassembler {
    /// A reassembler refusing messages larger than `max_message` bytes.
    pub fn new(max_message: usize) -> Reassembler {
        Reassembler {
            max_message,
            max_partial: DEFAULT_MAX_PARTIAL,
            partial: BTreeMap::new(),
            buffered: 0,
            completed: VecDeque::new(),
        }
    }

    /// Bytes held in incomplete messages.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Takes one frame; returns the message once its last missing frame arrived. A frame
    /// that is malformed or contradicts earlier frames of its message is an error (and the
    /// partial message is dropped).
    pub fn push(&mut self, frame: &[u8]) -> Result<Option<Vec<u8>>, SyncError> {
        let mut r = Reader::new(frame);
        let bad = |_| SyncError::BadFrame("truncated header");
        if r.u8().map_err(bad)? != FRAME_TAG {
            return Err(SyncError::BadFrame("not a frame"));
        }
        let id = r.varint().map_err(bad)?;
        let index = r.varint().map_err(bad)?;
        let count = r.varint().map_err(bad)?;
        let payload = r.bytes(r.remaining()).map_err(bad)?;
        if count == 0 || index >= count {
            return Err(SyncError::BadFrame("index out of range"));
        }
        if count == 1 {
            if payload.len() > self.max_message {
                return Err(SyncError::TooLarge {
                    size: payload.len() as u64,
                    limit: self.max_message as u64,
                });
            }
            return Ok(Some(payload.to_vec()));
        }
        // Every frame but the last carries at least one byte.
        if count.saturating_sub(1) > self.max_message as u64 {
            return Err(SyncError::TooLarge {
                size: count,
                limit: self.max_message as u64,
            });
        }
        let (count, index) = (count as usize, index as usize);
        if self.completed.contains(&id) {
            return Ok(None);
        }
        if let Some(p) = self.partial.get(&id) {
            if p.count != count {
                self.drop_partial(id);
                return Err(SyncError::BadFrame("frames disagree on the frame count"));
            }
        } else {
            while self.partial.len() >= self.max_partial {
                let oldest = *self.partial.keys().next().unwrap_or(&id);
                self.drop_partial(oldest);
            }
            self.partial.insert(
                id,
                Partial {
                    count,
                    parts: BTreeMap::new(),
                    received: 0,
                    bytes: 0,
                },
            );
        }
        let Some(p) = self.partial.get_mut(&id) else {
            return Ok(None);
        };
        if p.parts.contains_key(&index) {
            return Ok(None);
        }
        if p.bytes + payload.len() > self.max_message {
            let size = (p.bytes + payload.len()) as u64;
            self.drop_partial(id);
            return Err(SyncError::TooLarge {
                size,
                limit: self.max_message as u64,
            });
        }
        p.parts.insert(index, payload.to_vec());
        p.received += 1;
        p.bytes += payload.len();
        self.buffered += payload.len();
        if p.received < count {
            // Keep the total buffered bounded too: drop the oldest other partial messages.
            while self.buffered > self.max_message && self.partial.len() > 1 {
                let oldest = self.partial.keys().copied().find(|&k| k != id);
                match oldest {
                    Some(k) => self.drop_partial(k),
                    None => break,
                }
            }
            return Ok(None);
        }
        if self.completed.len() >= REMEMBERED {
            self.completed.pop_front();
        }
        self.completed.push_back(id);
        let done = self.partial.remove(&id).map(|p| {
            self.buffered -= p.bytes;
            p.parts.into_values().flatten().collect::<Vec<u8>>()
        });
        Ok(done)
    }

    fn drop_partial(&mut self, id: u64) {
        if let Some(p) = self.partial.remove(&id) {
            self.buffered -= p.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_to_the_size_and_reassembles_in_any_order_with_duplicates() {
        let message: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let frames = split_frames(&message, 3, 1_000);
        assert!(frames.len() > 10);
        assert!(frames.iter().all(|f| f.len() <= 1_000));
        let mut r = Reassembler::default();
        let mut order: Vec<usize> = (0..frames.len()).rev().collect();
        order.insert(3, 0);
        let mut out = None;
        for i in order {
            if let Some(m) = r.push(&frames[i]).expect("valid frame") {
                assert!(out.is_none());
                out = Some(m);
            }
        }
        assert_eq!(out, Some(message));
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn empty_and_small_messages_are_one_frame() {
        for m in [vec![], vec![1, 2, 3]] {
            let frames = split_frames(&m, 0, DEFAULT_MAX_FRAME);
            assert_eq!(frames.len(), 1);
            assert_eq!(Reassembler::default().push(&frames[0]), Ok(Some(m)));
        }
    }

    #[test]
    fn bad_and_oversized_frames_are_refused() {
        let mut r = Reassembler::new(1_000);
        assert!(r.push(&[]).is_err());
        assert!(r.push(&[0x00, 1, 0, 1]).is_err());
        assert!(r.push(&[FRAME_TAG, 1, 2, 2]).is_err());
        let big = split_frames(&[0u8; 5_000], 1, 100);
        let mut result = Ok(None);
        for f in &big {
            result = r.push(f);
            if result.is_err() {
                break;
            }
        }
        assert!(matches!(result, Err(SyncError::TooLarge { .. })));
        // Frames of one id that disagree on the count.
        let a = split_frames(&[1u8; 300], 9, 100);
        let b = split_frames(&[1u8; 600], 9, 100);
        assert_eq!(r.push(&a[0]), Ok(None));
        assert!(r.push(&b[1]).is_err());
    }

    #[test]
    fn a_huge_frame_count_allocates_nothing_up_front() {
        let mut r = Reassembler::default();
        // Message 1, frame 0 of 2^28: only the frame itself is kept.
        let frame = [FRAME_TAG, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x01, 7];
        assert_eq!(r.push(&frame), Ok(None));
        assert_eq!(r.buffered(), 1);
    }

    #[test]
    fn incomplete_messages_are_evicted() {
        let mut r = Reassembler::default();
        for id in 0..100u64 {
            let frames = split_frames(&[5u8; 500], id, 100);
            r.push(&frames[0]).expect("valid");
        }
        assert!(r.partial.len() <= DEFAULT_MAX_PARTIAL);
    }

    proptest! {
        #[test]
        fn arbitrary_frames_never_panic(frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..20)) {
            let mut r = Reassembler::new(10_000);
            for f in &frames {
                let mut tagged = vec![FRAME_TAG];
                tagged.extend_from_slice(f);
                let _ = r.push(f);
                let _ = r.push(&tagged);
            }
        }
    }
}
