#![doc = include_str!("../README.md")]

mod action;
mod rng;
pub mod sim;

pub use action::Action;
pub use rng::Rng;

use dagsync::{ActorId, ContainerKind, Doc, Item};

/// Several replicas of one document plus a seeded random source for delivery order.
#[derive(Debug)]
pub struct Fuzzer {
    /// The replicas.
    pub docs: Vec<Doc>,
    rng: Rng,
}

impl Fuzzer {
    /// `replicas` empty documents (actors 1, 2, ...) and a random source seeded by `seed`.
    pub fn new(replicas: usize, seed: u64) -> Fuzzer {
        let docs = (0..replicas)
            .map(|i| Doc::new(ActorId([i as u8 + 1; 32])))
            .collect();
        Fuzzer {
            docs,
            rng: Rng::new(seed),
        }
    }

    /// Applies `count` random actions (edits, commits and syncs).
    pub fn run_random(&mut self, count: usize) {
        for _ in 0..count {
            let action = Action::random(&mut self.rng, self.docs.len());
            self.apply(&action);
        }
    }

    /// Performs one action. Edits that do not fit the current state (an index past the end)
    /// are clamped, so every action does something meaningful.
    pub fn apply(&mut self, action: &Action) {
        match action {
            Action::Sync { from, to } => self.sync(*from, *to),
            other => {
                let n = self.docs.len();
                other.edit(&mut self.docs[other.replica() % n]);
            }
        }
    }

    /// Sends every change `from` has and `to` lacks, one by one in a random order with random
    /// duplicates, so the receiver's causal buffer and duplicate detection are exercised.
    pub fn sync(&mut self, from: usize, to: usize) {
        let (from, to) = (from % self.docs.len(), to % self.docs.len());
        if from == to {
            return;
        }
        let since = self.docs[to].version().clone();
        let mut changes = self.docs[from].changes_since(&since);
        self.rng.shuffle(&mut changes);
        let mut deliveries = Vec::new();
        for change in changes {
            if self.rng.below(4) == 0 {
                deliveries.push(change.clone());
            }
            deliveries.push(change);
        }
        self.rng.shuffle(&mut deliveries);
        let receiver = &mut self.docs[to];
        for change in deliveries {
            if let Err(err) = receiver.apply_changes([change]) {
                panic!("a valid change was refused: {err}");
            }
        }
    }

    /// Syncs every pair of replicas until none has anything new for another.
    pub fn sync_all(&mut self) {
        let n = self.docs.len();
        for _ in 0..2 {
            for from in 0..n {
                for to in 0..n {
                    self.sync(from, to);
                }
            }
        }
    }

    /// Checks that all replicas have the same heads, the same JSON, and the same content in
    /// every container reachable from the roots the fuzzer uses.
    pub fn check_converged(&mut self) -> Result<(), String> {
        let first_json = self.docs[0].to_json().to_string();
        let first_heads = self.docs[0].heads();
        for (i, doc) in self.docs.iter_mut().enumerate().skip(1) {
            if doc.heads() != first_heads {
                return Err(format!("replica {i} has other heads than replica 0"));
            }
            let json = doc.to_json().to_string();
            if json != first_json {
                return Err(format!(
                    "replica {i} differs from replica 0:\n  0: {first_json}\n  {i}: {json}"
                ));
            }
        }
        let conflicts: Vec<Vec<Item>> = self
            .docs
            .iter_mut()
            .map(|d| d.get_map(action::MAP).conflicts("k0"))
            .collect();
        if conflicts.windows(2).any(|w| w[0] != w[1]) {
            return Err("map conflicts differ between replicas".to_owned());
        }
        for doc in &mut self.docs {
            if doc.get_text(action::TEXT).len_utf16()
                != doc
                    .get_text(action::TEXT)
                    .to_string()
                    .encode_utf16()
                    .count()
            {
                return Err("text UTF-16 length is inconsistent".to_owned());
            }
        }
        Ok(())
    }
}

/// Kinds the fuzzer nests under its root map.
pub const NESTED_KINDS: [ContainerKind; 3] = [
    ContainerKind::Text,
    ContainerKind::List,
    ContainerKind::Counter,
];
