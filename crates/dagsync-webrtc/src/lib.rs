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
pub use event::{EventSink, NetworkEvent, Transport};
pub use js::{live_callbacks, Timer};
pub use rtc::{IceServer, WebRtcConfig, WebRtcTransport, MAX_FRAME_CAP};
