//! Exponential backoff for reconnecting (pure, so it is tested natively).

/// How reconnect attempts are spaced: the first after `initial_ms`, each later one twice as
/// long as the one before, at most `max_ms`, and no more than `max_attempts` in a row
/// without a success (then the peer is forgotten until it shows up again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    /// Delay before the first retry, in milliseconds.
    pub initial_ms: u32,
    /// Longest delay, in milliseconds.
    pub max_ms: u32,
    /// Retries in a row before giving up.
    pub max_attempts: u32,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial_ms: 250,
            max_ms: 30_000,
            max_attempts: 12,
        }
    }
}

/// The retries since the last success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    config: BackoffConfig,
    attempts: u32,
}

impl Backoff {
    /// No retries yet.
    pub(crate) fn new(config: BackoffConfig) -> Backoff {
        Backoff {
            config,
            attempts: 0,
        }
    }

    /// The delay before the next retry, or `None` when the retries are used up. Counts the
    /// retry.
    pub(crate) fn next_delay(&mut self) -> Option<u32> {
        if self.attempts >= self.config.max_attempts {
            return None;
        }
        let shift = self.attempts.min(31);
        self.attempts += 1;
        let delay = u64::from(self.config.initial_ms) << shift;
        Some(delay.min(u64::from(self.config.max_ms)) as u32)
    }

    /// A connection succeeded: the next failure starts over from the initial delay.
    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_then_stop() {
        let mut b = Backoff::new(BackoffConfig {
            initial_ms: 100,
            max_ms: 1_000,
            max_attempts: 6,
        });
        let delays: Vec<_> = std::iter::from_fn(|| b.next_delay()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_000, 1_000]);
        b.reset();
        assert_eq!(b.next_delay(), Some(100));
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::new(BackoffConfig {
            initial_ms: u32::MAX,
            max_ms: u32::MAX,
            max_attempts: u32::MAX,
        });
        for _ in 0..100 {
            assert_eq!(b.next_delay(), Some(u32::MAX));
        }
    }
}
