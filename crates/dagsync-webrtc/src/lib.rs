#![doc = include_str!("../README.md")]

mod backoff;
mod broadcast;
mod error;
mod event;
mod js;
mod rtc;

pub use backoff::BackoffConfig;
pub use broadcast::{BroadcastTransport, BROADCAST_MAX_FRAME};
pub use error::{NetworkError, Result};
pub use event::{EventSink, NetworkEvent};
pub use js::live_callbacks;
pub use rtc::{IceServer, WebRtcConfig, WebRtcTransport, MAX_FRAME_CAP};
