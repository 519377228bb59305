//! Per-connection limits and the message-rate token bucket.

use std::time::Instant;

/// What one connection may do.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest message, in bytes.
    pub max_message_bytes: usize,
    /// Most topics one connection subscribes to (extra subscriptions are ignored; a connection
    /// asking for more than twice as many is closed).
    pub max_topics: usize,
    /// Sustained messages per second.
    pub messages_per_second: f64,
    /// Messages allowed in a burst above the rate.
    pub burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 64 * 1024,
            max_topics: 64,
            messages_per_second: 50.0,
            burst: 200.0,
        }
    }
}

/// What to do with an incoming message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Handle it.
    Admit,
    /// Over the rate: drop it.
    Drop,
    /// Flooding far over the rate: close the connection.
    Close,
}

/// A token bucket refilled at the message rate; dropped messages still cost, so a client that
/// keeps sending while over the limit sinks further and is closed.
pub(crate) struct RateLimiter {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl RateLimiter {
    pub(crate) fn new(limits: &Limits) -> RateLimiter {
        RateLimiter {
            tokens: limits.burst,
            rate: limits.messages_per_second,
            burst: limits.burst,
            last: Instant::now(),
        }
    }

    pub(crate) fn admit(&mut self) -> Verdict {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Verdict::Admit
        } else if self.tokens >= -self.burst {
            Verdict::Drop
        } else {
            Verdict::Close
        }
    }
}
