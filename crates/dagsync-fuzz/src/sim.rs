//! A deterministic simulated network of [`Repo`]s: any topology, frame loss, duplication,
//! reordering (random latency), partitions and heals, restarts with and without storage.
//! Everything is driven by one seeded [`Rng`] and a simulated clock, so a seed replays
//! exactly. Nodes may sign ([`NetConfig::signed`]) and may be faulty ([`Sim::set_faulty`]):
//! what honest nodes refuse from faulty ones is recorded, never from honest ones.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use dagsync::auth::Identity;
use dagsync::repo::{
    DocId, MemoryStorage, PeerId, Repo, RepoConfig, RepoError, RepoEvent, Storage,
};
use dagsync::ActorId;

use crate::action::Action;
use crate::rng::Rng;

/// How the network misbehaves.
#[derive(Clone, Copy, Debug)]
pub struct NetConfig {
    /// Per-mille of frames lost.
    pub loss: u64,
    /// Per-mille of frames delivered twice.
    pub duplicate: u64,
    /// Latency of a frame, uniformly in `min_latency..=max_latency` ms (different latencies
    /// reorder frames).
    pub min_latency: u64,
    /// See `min_latency`.
    pub max_latency: u64,
    /// Frames are at most this many bytes.
    pub max_frame: usize,
    /// Unanswered messages are re-sent after this many ms.
    pub retry_after_ms: u64,
    /// Whether nodes have identities: signed changes, handshakes ([`identity`]).
    pub signed: bool,
}

/// How a faulty node mangles the frames it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Flips one random bit of each frame.
    Tamper,
    /// Sends random bytes instead of each frame.
    Garbage,
    /// Sends each frame, then one it sent earlier again.
    Replay,
    /// Sends its frames unchanged (its repo's content is what is wrong).
    Honest,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            loss: 50,
            duplicate: 50,
            min_latency: 1,
            max_latency: 40,
            max_frame: 1_024,
            retry_after_ms: 300,
            signed: false,
        }
    }
}

/// One simulated device.
struct Node {
    repo: Repo,
    incarnation: u8,
}

/// A frame in flight, on one connection of its link (frames of an earlier connection are
/// never delivered on a later one, as with real data channels).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    at: u64,
    seq: u64,
    from: usize,
    to: usize,
    connection: u64,
    frame: Vec<u8>,
}

/// N repos sharing one document over a simulated network.
pub struct Sim {
    /// The random source of everything.
    pub rng: Rng,
    nodes: Vec<Node>,
    links: BTreeSet<(usize, usize)>,
    cut: BTreeSet<(usize, usize)>,
    /// Per link, the number of its current connection.
    connections: std::collections::BTreeMap<(usize, usize), u64>,
    queue: BinaryHeap<Reverse<InFlight>>,
    now: u64,
    seq: u64,
    config: NetConfig,
    /// The shared document.
    pub doc: DocId,
    /// Frames sent so far.
    pub frames_sent: u64,
    /// Bytes of the frames sent so far.
    pub bytes_sent: u64,
    /// The faulty nodes and what they do.
    faulty: BTreeMap<usize, Misbehaviour>,
    /// Frames each faulty node sent, for replays.
    sent_by: BTreeMap<usize, Vec<(usize, Vec<u8>)>>,
    /// Refusals: (receiving node, sending node, error), all from faulty senders.
    pub refused: Vec<(usize, usize, RepoError)>,
    /// Every repo event, with the node it happened at.
    pub events: Vec<(usize, RepoEvent)>,
}

fn peer(i: usize) -> PeerId {
    PeerId(format!("p{i}"))
}

fn actor(i: usize, incarnation: u8) -> ActorId {
    let mut a = [0u8; 32];
    a[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    a[8] = incarnation;
    ActorId(a)
}

/// The identity of node `i` in its `incarnation` (signed simulations).
pub fn identity(i: usize, incarnation: u8) -> Identity {
    Identity::from_secret_key(actor(i, incarnation).0)
}

/// Normalized (smaller index first) link.
fn link(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

impl Sim {
    /// `n` repos, none connected yet; node 0 creates the shared document.
    pub fn new(n: usize, seed: u64, config: NetConfig) -> Sim {
        let rng = Rng::new(seed);
        let nodes = (0..n)
            .map(|i| Node {
                repo: Sim::make_repo(i, 0, Box::new(MemoryStorage::new()), config, seed),
                incarnation: 0,
            })
            .collect();
        let doc = DocId([0xD0; 16]);
        let mut sim = Sim {
            rng,
            nodes,
            links: BTreeSet::new(),
            cut: BTreeSet::new(),
            connections: std::collections::BTreeMap::new(),
            queue: BinaryHeap::new(),
            now: 0,
            seq: 0,
            config,
            doc,
            frames_sent: 0,
            bytes_sent: 0,
            faulty: BTreeMap::new(),
            sent_by: BTreeMap::new(),
            refused: Vec::new(),
            events: Vec::new(),
        };
        sim.nodes[0]
            .repo
            .create_with_id(doc)
            .expect("memory storage never fails");
        sim
    }

    fn make_repo(
        i: usize,
        incarnation: u8,
        storage: Box<dyn Storage>,
        config: NetConfig,
        seed: u64,
    ) -> Repo {
        let repo_config = RepoConfig {
            max_frame: config.max_frame,
            retry_after_ms: config.retry_after_ms,
            ..RepoConfig::default()
        };
        let mut repo = if config.signed {
            Repo::with_identity(identity(i, incarnation), storage, repo_config)
        } else {
            Repo::with_config(actor(i, incarnation), storage, repo_config)
        }
        .expect("memory storage never fails");
        repo.set_deterministic_salts(seed ^ ((i as u64) << 32) ^ u64::from(incarnation));
        repo
    }

    /// Node `i`'s repo, to set up documents or misbehave by hand.
    pub fn repo_mut(&mut self, i: usize) -> &mut Repo {
        &mut self.nodes[i].repo
    }

    /// Makes node `i` faulty: its frames are mangled as `how` says, and what others refuse
    /// from it is recorded in [`Sim::refused`] instead of failing the run.
    pub fn set_faulty(&mut self, i: usize, how: Misbehaviour) {
        self.faulty.insert(i, how);
    }

    /// Node `from` sends repo message `message` (as its own frames) to node `to`, over the
    /// simulated network: how tests make a faulty node say what no honest repo would.
    pub fn inject(&mut self, from: usize, to: usize, message: &[u8]) {
        self.seq += 1;
        let id = u64::MAX / 2 + self.seq;
        for frame in dagsync::sync::split_frames(message, id, self.config.max_frame) {
            self.send_frame(from, to, frame);
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Whether the link between `a` and `b` carries frames now.
    fn up(&self, a: usize, b: usize) -> bool {
        let l = link(a, b);
        self.links.contains(&l) && !self.cut.contains(&l)
    }

    /// Adds a link between `a` and `b` and connects them.
    pub fn add_link(&mut self, a: usize, b: usize) {
        if a == b || !self.links.insert(link(a, b)) {
            return;
        }
        if self.up(a, b) {
            self.connect(a, b);
        }
    }

    /// A line 0 – 1 – … – n-1.
    pub fn line(&mut self) {
        for i in 1..self.len() {
            self.add_link(i - 1, i);
        }
    }

    /// A random connected topology: a random spanning tree plus `extra` random links.
    pub fn random_topology(&mut self, extra: usize) {
        let n = self.len();
        for i in 1..n {
            let j = self.rng.below(i as u64) as usize;
            self.add_link(i, j);
        }
        for _ in 0..extra {
            let a = self.rng.below(n as u64) as usize;
            let b = self.rng.below(n as u64) as usize;
            self.add_link(a, b);
        }
    }

    fn connect(&mut self, a: usize, b: usize) {
        *self.connections.entry(link(a, b)).or_default() += 1;
        for (x, y) in [(a, b), (b, a)] {
            match self.nodes[x].repo.connect(peer(y)) {
                Ok(()) | Err(RepoError::Banned(_)) => {}
                Err(e) => panic!("p{x} could not connect to p{y}: {e}"),
            }
        }
        self.flush();
    }

    fn disconnect(&mut self, a: usize, b: usize) {
        self.nodes[a].repo.disconnect(&peer(b)).expect("storage");
        self.nodes[b].repo.disconnect(&peer(a)).expect("storage");
    }

    /// Cuts the links between the nodes in `side` and the others (frames in flight across
    /// the cut are lost).
    pub fn partition(&mut self, side: &[usize]) {
        let links: Vec<(usize, usize)> = self.links.iter().copied().collect();
        for (a, b) in links {
            if side.contains(&a) != side.contains(&b) && self.cut.insert((a, b)) {
                self.disconnect(a, b);
            }
        }
    }

    /// Restores every cut link.
    pub fn heal(&mut self) {
        let cut: Vec<(usize, usize)> = std::mem::take(&mut self.cut).into_iter().collect();
        for (a, b) in cut {
            self.connect(a, b);
        }
    }

    /// Restarts node `i`: with its storage (it resumes where it was) or without (it lost
    /// everything and comes back as a new actor).
    pub fn restart(&mut self, i: usize, keep_storage: bool) {
        let neighbours: Vec<usize> = (0..self.len()).filter(|&j| self.up(i, j)).collect();
        for &j in &neighbours {
            self.nodes[j].repo.disconnect(&peer(i)).expect("storage");
        }
        let incarnation = if keep_storage {
            self.nodes[i].incarnation
        } else {
            self.nodes[i].incarnation + 1
        };
        let placeholder = Repo::new(actor(i, 255), Box::new(MemoryStorage::new()))
            .expect("memory storage never fails");
        let old = std::mem::replace(&mut self.nodes[i].repo, placeholder);
        let storage: Box<dyn Storage> = if keep_storage {
            old.into_storage()
        } else {
            Box::new(MemoryStorage::new())
        };
        let seed = self.rng.next_u64();
        self.nodes[i].repo = Sim::make_repo(i, incarnation, storage, self.config, seed);
        self.nodes[i].incarnation = incarnation;
        for j in neighbours {
            self.connect(i, j);
        }
    }

    /// A random edit (from the fuzzer's actions) on node `i`'s copy of the document, if it
    /// has one yet.
    pub fn edit(&mut self, i: usize) {
        let action = loop {
            let a = Action::random(&mut self.rng, 1);
            if !matches!(a, Action::Sync { .. }) {
                break a;
            }
        };
        let doc = self.doc;
        if self.nodes[i].repo.doc(&doc).is_some() {
            self.nodes[i]
                .repo
                .change(&doc, |d| action.edit(d))
                .expect("a local edit is stored and synced");
            self.flush();
        }
    }

    /// Moves every frame the repos want to send into the network.
    fn flush(&mut self) {
        for from in 0..self.nodes.len() {
            while let Some((to, frame)) = self.nodes[from].repo.poll_frame() {
                let Some(to) = to.0.strip_prefix('p').and_then(|n| n.parse::<usize>().ok()) else {
                    continue;
                };
                let frames = self.misbehave(from, to, frame);
                for frame in frames {
                    self.send_frame(from, to, frame);
                }
            }
        }
    }

    /// The frames a node sends instead of `frame`: `frame` itself unless it is faulty.
    fn misbehave(&mut self, from: usize, to: usize, mut frame: Vec<u8>) -> Vec<Vec<u8>> {
        let Some(&how) = self.faulty.get(&from) else {
            return vec![frame];
        };
        match how {
            Misbehaviour::Honest => vec![frame],
            Misbehaviour::Tamper => {
                if !frame.is_empty() {
                    let at = self.rng.below(frame.len() as u64) as usize;
                    frame[at] ^= 1 << self.rng.below(8);
                }
                vec![frame]
            }
            Misbehaviour::Garbage => {
                vec![(0..frame.len())
                    .map(|_| self.rng.next_u64() as u8)
                    .collect()]
            }
            Misbehaviour::Replay => {
                let sent = self.sent_by.entry(from).or_default();
                let old = sent
                    .iter()
                    .filter(|(t, _)| *t == to)
                    .nth(self.rng.below(sent.len() as u64 + 1) as usize)
                    .map(|(_, f)| f.clone());
                sent.push((to, frame.clone()));
                let mut frames = vec![frame];
                frames.extend(old);
                frames
            }
        }
    }

    /// Puts one frame on the wire from `from` to `to` (it may be lost, duplicated, delayed).
    fn send_frame(&mut self, from: usize, to: usize, frame: Vec<u8>) {
        self.frames_sent += 1;
        if std::env::var_os("SIM_TRACE").is_some() {
            eprintln!("{} p{from} -> p{to} {} B", self.now, frame.len());
        }
        self.bytes_sent += frame.len() as u64;
        if self.rng.below(1000) < self.config.loss {
            return;
        }
        let copies = if self.rng.below(1000) < self.config.duplicate {
            2
        } else {
            1
        };
        let connection = self.connections.get(&link(from, to)).copied().unwrap_or(0);
        for _ in 0..copies {
            let latency = self.config.min_latency
                + self
                    .rng
                    .below(self.config.max_latency - self.config.min_latency + 1);
            self.seq += 1;
            self.queue.push(Reverse(InFlight {
                at: self.now + latency,
                seq: self.seq,
                from,
                to,
                connection,
                frame: frame.clone(),
            }));
        }
    }

    /// Runs the network for `ms` simulated milliseconds: delivers frames, ticks every repo
    /// every 10 ms. A frame refused between honest nodes is a bug and panics; refusals
    /// involving a faulty node are recorded in [`Sim::refused`].
    pub fn run(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            let step_end = (self.now + 10).min(end);
            while let Some(Reverse(next)) = self.queue.peek() {
                if next.at > step_end {
                    break;
                }
                let Some(Reverse(f)) = self.queue.pop() else {
                    break;
                };
                self.now = self.now.max(f.at);
                let current = self.connections.get(&link(f.from, f.to)).copied();
                if self.up(f.from, f.to) && current == Some(f.connection) {
                    if let Err(e) = self.nodes[f.to].repo.receive(&peer(f.from), &f.frame) {
                        let blameless =
                            matches!(e, RepoError::Banned(_) | RepoError::UnknownPeer(_));
                        if self.faulty.contains_key(&f.from) || self.faulty.contains_key(&f.to) {
                            self.refused.push((f.to, f.from, e));
                        } else if !blameless {
                            panic!("p{} refused a frame from p{}: {e}", f.to, f.from);
                        }
                    }
                    self.collect_events(f.to);
                    self.flush();
                }
            }
            self.now = step_end;
            for i in 0..self.nodes.len() {
                self.nodes[i].repo.tick(self.now).expect("storage");
                self.collect_events(i);
            }
            self.flush();
        }
    }

    fn collect_events(&mut self, i: usize) {
        while let Some(e) = self.nodes[i].repo.poll_event() {
            self.events.push((i, e));
        }
    }

    /// Runs until no frame is in flight and none was sent for three of the longest retry
    /// waits (at most `limit_ms`); returns whether the network went quiet.
    pub fn settle(&mut self, limit_ms: u64) -> bool {
        let end = self.now + limit_ms;
        let mut quiet_since = self.now;
        let mut sent = self.frames_sent;
        while self.now < end {
            self.run(50);
            if self.frames_sent != sent || !self.queue.is_empty() {
                sent = self.frames_sent;
                quiet_since = self.now;
            } else if self.now - quiet_since
                >= 3 * (self.config.retry_after_ms << dagsync::repo::MAX_BACKOFF_SHIFT)
            {
                return true;
            }
        }
        false
    }

    /// Checks that every node has the document with the same heads and the same content (or
    /// that none has it: its creator lost it in a restart without storage before sharing it).
    pub fn check_converged(&mut self) -> Result<(), String> {
        let doc = self.doc;
        if self.nodes.iter().all(|n| n.repo.doc(&doc).is_none()) {
            return Ok(());
        }
        let mut first: Option<(Vec<dagsync::ChangeHash>, String)> = None;
        for i in 0..self.nodes.len() {
            if self.faulty.contains_key(&i) {
                continue;
            }
            let Some(mut d) = self.nodes[i].repo.doc_mut(&doc) else {
                return Err(format!("p{i} does not have the document"));
            };
            let heads = d.heads();
            let json = d.to_json().to_string();
            match &first {
                None => first = Some((heads, json)),
                Some((h, j)) => {
                    if *h != heads {
                        return Err(format!("p{i} has other heads than p0"));
                    }
                    if *j != json {
                        return Err(format!("p{i} differs from p0:\n  p0: {j}\n  p{i}: {json}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every node's heads, connected peers and sync states, and the links: for debugging a
    /// failing seed.
    pub fn describe(&mut self) -> String {
        use std::fmt::Write;
        let doc = self.doc;
        let mut out = String::new();
        for i in 0..self.nodes.len() {
            let heads = self.nodes[i].repo.doc_mut(&doc).map(|mut d| d.heads());
            let _ = writeln!(out, "p{i}: heads {heads:?}");
            for p in self.nodes[i].repo.peers() {
                if let Some(state) = self.nodes[i].repo.sync_state(&p, &doc) {
                    let _ = writeln!(out, "  with {p}: {state:?}");
                }
            }
        }
        let _ = writeln!(out, "links {:?}, cut {:?}", self.links, self.cut);
        out
    }

    /// The simulated time in ms.
    pub fn now(&self) -> u64 {
        self.now
    }
}
