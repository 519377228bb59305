//! The sequence checked against a naive, item-by-item transcription of the YjsMod algorithm.

use super::*;
use crate::actor::ActorId;
use proptest::prelude::*;

/// One item of the naive model.
#[derive(Clone, Copy, Debug)]
struct Item {
    id: Id,
    origin_left: Id,
    origin_right: Id,
    deleted: bool,
    ch: char,
}

/// The reference: a flat vector of items, integrate as published for YjsMod.
#[derive(Clone, Default)]
struct Naive {
    items: Vec<Item>,
}

impl Naive {
    fn pos(&self, id: Id) -> Option<usize> {
        self.items.iter().position(|i| i.id == id)
    }

    fn text(&self) -> String {
        self.items
            .iter()
            .filter(|i| !i.deleted)
            .map(|i| i.ch)
            .collect()
    }

    fn integrate(&mut self, item: Item, actors: &[ActorId]) {
        let left = item.origin_left.to_option().map(|id| self.pos(id).unwrap());
        let right = item
            .origin_right
            .to_option()
            .map_or(self.items.len(), |id| self.pos(id).unwrap());
        let start = left.map_or(0, |l| l + 1);
        let left_key = left.map_or(-1, |l| l as i64);
        let mut dest = start;
        let mut scanning = false;
        let mut i = start;
        loop {
            if !scanning {
                dest = i;
            }
            if i == self.items.len() || i == right {
                break;
            }
            let other = self.items[i];
            let oleft = other
                .origin_left
                .to_option()
                .map_or(-1, |id| self.pos(id).unwrap() as i64);
            let oright = other
                .origin_right
                .to_option()
                .map_or(self.items.len(), |id| self.pos(id).unwrap());
            if oleft < left_key {
                break;
            } else if oleft == left_key {
                if oright < right {
                    scanning = true;
                } else if oright == right {
                    if actors[item.id.actor as usize] < actors[other.id.actor as usize] {
                        break;
                    }
                    scanning = false;
                } else {
                    scanning = false;
                }
            }
            i += 1;
        }
        self.items.insert(dest, item);
    }
}

/// An operation as sent between replicas.
#[derive(Clone, Debug)]
enum Op {
    Insert(Run, Vec<char>),
    Delete(Id, u64),
}

struct Replica {
    seq: Sequence,
    chars: Vec<char>,
    naive: Naive,
    log: Vec<Op>,
}

impl Replica {
    fn new() -> Self {
        Replica {
            seq: Sequence::default(),
            chars: Vec::new(),
            naive: Naive::default(),
            log: Vec::new(),
        }
    }

    fn text(&self) -> String {
        self.seq
            .runs()
            .filter(|r| !r.deleted)
            .flat_map(|r| &self.chars[r.content as usize..(r.content + r.len) as usize])
            .collect()
    }

    fn apply_remote(&mut self, op: &Op, actors: &[ActorId]) {
        match op {
            Op::Insert(run, text) => {
                let content = self.chars.len() as u32;
                self.chars.extend(text);
                let index = self
                    .seq
                    .integrate(Run { content, ..*run }, actors, self.chars.as_slice())
                    .unwrap();
                for (k, &ch) in text.iter().enumerate() {
                    let item = Item {
                        id: run.id.plus(k as u64),
                        origin_left: if k == 0 {
                            run.origin_left
                        } else {
                            run.id.plus(k as u64 - 1)
                        },
                        origin_right: run.origin_right,
                        deleted: false,
                        ch,
                    };
                    self.naive.integrate(item, actors);
                }
                let expect = self
                    .naive
                    .items
                    .iter()
                    .take_while(|i| i.id != run.id)
                    .filter(|i| !i.deleted)
                    .count();
                assert_eq!(index, expect as u64, "reported insert index");
            }
            Op::Delete(start, len) => {
                self.seq
                    .delete_ids(*start, *len, self.chars.as_slice(), |_, _, _, _| {})
                    .unwrap();
                for k in 0..*len {
                    let p = self.naive.pos(start.plus(k)).unwrap();
                    self.naive.items[p].deleted = true;
                }
            }
        }
    }
}

/// A random action of one replica.
#[derive(Clone, Debug)]
enum Action {
    Insert {
        replica: usize,
        pos: usize,
        text: String,
    },
    Delete {
        replica: usize,
        pos: usize,
        len: usize,
    },
    /// `to` receives everything `from` has.
    Sync { from: usize, to: usize },
}

fn action(replicas: usize) -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0..replicas, any::<usize>(), "[a-e]{1,4}").prop_map(|(replica, pos, text)| Action::Insert { replica, pos, text }),
        2 => (0..replicas, any::<usize>(), 1usize..4).prop_map(|(replica, pos, len)| Action::Delete { replica, pos, len }),
        2 => (0..replicas, 0..replicas).prop_map(|(from, to)| Action::Sync { from, to }),
    ]
}

/// Runs the actions; each replica keeps a log of every op it applied, in order (a causal
/// order), and a sync delivers the ops of the sender's log the receiver lacks.
fn run_actions(actions: &[Action], n: usize) -> Vec<Replica> {
    // Actor ids in an order unrelated to their indexes, so tie-breaks use the real bytes.
    let actors: Vec<ActorId> = (0..n).map(|i| ActorId([(n - i) as u8 * 37; 32])).collect();
    let mut replicas: Vec<Replica> = (0..n).map(|_| Replica::new()).collect();
    let mut counters = vec![0u64; n];
    for action in actions {
        match action {
            Action::Insert { replica, pos, text } => {
                let r = &mut replicas[*replica];
                let len = r.seq.len(Lane::Items) as usize;
                let pos = pos % (len + 1);
                let chars: Vec<char> = text.chars().collect();
                let content = r.chars.len() as u32;
                r.chars.extend(&chars);
                let id = Id::new(*replica as u32, counters[*replica]);
                counters[*replica] += chars.len() as u64;
                let (origin_left, origin_right) = r.seq.insert_local(
                    pos as u64,
                    id,
                    chars.len() as u32,
                    content,
                    r.chars.as_slice(),
                );
                let run = Run {
                    id,
                    origin_left,
                    origin_right,
                    content: 0,
                    len: chars.len() as u32,
                    deleted: false,
                };
                // The naive model integrates the same items; a local insert never scans.
                for (k, &ch) in chars.iter().enumerate() {
                    let item = Item {
                        id: id.plus(k as u64),
                        origin_left: if k == 0 {
                            origin_left
                        } else {
                            id.plus(k as u64 - 1)
                        },
                        origin_right,
                        deleted: false,
                        ch,
                    };
                    r.naive.integrate(item, &actors);
                }
                r.log.push(Op::Insert(run, chars));
            }
            Action::Delete { replica, pos, len } => {
                let r = &mut replicas[*replica];
                let visible = r.seq.len(Lane::Items) as usize;
                if visible == 0 {
                    continue;
                }
                let pos = pos % visible;
                let len = (*len).min(visible - pos);
                let mut spans = Vec::new();
                r.seq
                    .delete_local(pos as u64, len as u64, r.chars.as_slice(), &mut spans);
                assert_eq!(spans.iter().map(|s| s.1).sum::<u64>(), len as u64);
                for &(start, n) in &spans {
                    for k in 0..n {
                        let p = r.naive.pos(start.plus(k)).unwrap();
                        r.naive.items[p].deleted = true;
                    }
                    r.log.push(Op::Delete(start, n));
                }
            }
            Action::Sync { from, to } => {
                if from == to {
                    continue;
                }
                let ops: Vec<Op> = replicas[*from].log.clone();
                let to_r = &mut replicas[*to];
                // Deliver in the sender's order, skipping what the receiver already applied.
                for op in &ops {
                    let known = match op {
                        Op::Insert(run, _) => to_r.seq.cursor_of(run.id).is_some(),
                        Op::Delete(start, len) => {
                            // Re-applying a delete is harmless; only skip if all already gone.
                            to_r.seq.contains_range(*start, *len)
                                && (0..*len).all(|k| {
                                    to_r.naive
                                        .pos(start.plus(k))
                                        .is_some_and(|p| to_r.naive.items[p].deleted)
                                })
                        }
                    };
                    if !known {
                        to_r.apply_remote(op, &actors);
                        to_r.log.push(op.clone());
                    }
                }
            }
        }
        for r in &replicas {
            assert_eq!(r.text(), r.naive.text(), "sequence and reference diverge");
        }
    }
    replicas
}

proptest! {
    #[test]
    fn matches_the_reference_and_converges(actions in prop::collection::vec(action(3), 1..80)) {
        // Full exchange: everyone receives everything, twice around the ring.
        let mut sync = Vec::new();
        for _ in 0..2 {
            for from in 0..3 {
                for to in 0..3 {
                    sync.push(Action::Sync { from, to });
                }
            }
        }
        let all: Vec<Action> = actions.iter().cloned().chain(sync).collect();
        let replicas = run_actions(&all, 3);
        let texts: Vec<String> = replicas.iter().map(Replica::text).collect();
        prop_assert_eq!(&texts[0], &texts[1]);
        prop_assert_eq!(&texts[1], &texts[2]);
        for r in &replicas {
            let utf16: u64 = r.text().encode_utf16().count() as u64;
            prop_assert_eq!(r.seq.len(Lane::Utf16), utf16);
        }
    }
}

#[test]
fn concurrent_runs_do_not_interleave() {
    let actions = vec![
        Action::Insert {
            replica: 0,
            pos: 0,
            text: "ab".into(),
        },
        Action::Sync { from: 0, to: 1 },
        Action::Insert {
            replica: 0,
            pos: 1,
            text: "XXXX".into(),
        },
        Action::Insert {
            replica: 1,
            pos: 1,
            text: "yyyy".into(),
        },
        Action::Sync { from: 0, to: 1 },
        Action::Sync { from: 1, to: 0 },
    ];
    let replicas = run_actions(&actions, 2);
    let text = replicas[0].text();
    assert_eq!(text, replicas[1].text());
    assert!(text == "aXXXXyyyyb" || text == "ayyyyXXXXb", "{text}");
}

#[test]
fn many_local_edits_split_leaves_and_stay_consistent() {
    let mut seq = Sequence::default();
    let mut chars = TextArena::default();
    let mut model: Vec<char> = Vec::new();
    let mut counter = 0;
    let mut state = 12345u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for step in 0..5000 {
        let len = model.len() as u64;
        if len > 0 && next() % 3 == 0 {
            let pos = next() % len;
            let n = (next() % 3 + 1).min(len - pos);
            let mut out = Vec::new();
            seq.delete_local(pos, n, &chars, &mut out);
            model.drain(pos as usize..(pos + n) as usize);
        } else {
            let pos = if step % 2 == 0 {
                len
            } else {
                next() % (len + 1)
            };
            let ch = if next() % 5 == 0 { '😀' } else { 'a' };
            let (content, _) = chars.push_str(ch.encode_utf8(&mut [0; 4]));
            seq.insert_local(pos, Id::new(0, counter), 1, content, &chars);
            counter += 1;
            model.insert(pos as usize, ch);
        }
    }
    let text: String = seq
        .runs()
        .filter(|r| !r.deleted)
        .flat_map(|r| &chars[r.content as usize..(r.content + r.len) as usize])
        .collect();
    assert_eq!(text, model.iter().collect::<String>());
    assert!(seq.leaves.len() > 1, "the test must exercise leaf splits");
    let utf16: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(seq.len(Lane::Utf16), utf16.len() as u64);
    for i in 0..=model.len() as u64 {
        let u = seq.items_to_utf16(i, &chars);
        assert_eq!(seq.utf16_to_items(u, &chars), Some(i));
    }
}
