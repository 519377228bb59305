//! The column encodings of format version 3 that depend on earlier values in a batch (the
//! logical clock, origin-right and delete references) round-trip at their edges, and the
//! run-length encoded columns cannot make a small body declare unbounded work.

use std::sync::atomic::{AtomicU64, Ordering};

use dagsync::clock::{Hlc, OpId};
use dagsync::{
    ActorId, Change, ContainerId, ContainerKind, DecodeError, Doc, InsertContent, Op, OpAction,
};

fn text_op(action: OpAction) -> Op {
    Op {
        container: ContainerId::Root {
            name: "t".to_owned(),
            kind: ContainerKind::Text,
        },
        action,
    }
}

fn change(time: Hlc, ops: Vec<Op>) -> Change {
    Change {
        actor: ActorId([1; 32]),
        seq: 1,
        deps: vec![],
        start_op: 1,
        time,
        message: None,
        ops,
        signature: None,
    }
}

fn insert(text: &str, left: Option<OpId>, right: Option<OpId>) -> Op {
    text_op(OpAction::Insert {
        origin_left: left,
        origin_right: right,
        content: InsertContent::Text(text.to_owned()),
    })
}

#[test]
fn logical_counters_round_trip_at_their_edges() {
    let me = ActorId([1; 32]);
    for (millis, logical) in [
        (0, 0),
        (0, 1),
        (0, u32::MAX),
        (7, 0),
        (7, u32::MAX),
        (u64::MAX, u32::MAX),
    ] {
        let c = change(
            Hlc {
                millis,
                logical,
                actor: me,
            },
            vec![insert("x", None, None)],
        );
        assert_eq!(Change::from_bytes(&c.to_bytes()), Ok(c));
    }
}

#[test]
fn references_relative_to_earlier_ones_round_trip() {
    let a = ActorId([1; 32]);
    let id = |counter| Some(OpId::new(counter, a));
    let c = change(
        Hlc {
            millis: 1,
            logical: 0,
            actor: a,
        },
        vec![
            // Right origins far apart, equal, and at the ends of the counter range.
            insert("a", None, id(u64::MAX)),
            insert("b", id(1), id(u64::MAX)),
            insert("c", id(2), id(0)),
            insert("d", None, None),
            insert("e", id(3), id(1 << 40)),
            // Deletes walking down, up, and across the range.
            text_op(OpAction::Delete {
                start: OpId::new(5, a),
                len: 1,
            }),
            text_op(OpAction::Delete {
                start: OpId::new(4, a),
                len: 1,
            }),
            text_op(OpAction::Delete {
                start: OpId::new(u64::MAX - 1, a),
                len: 2,
            }),
            text_op(OpAction::Delete {
                start: OpId::new(0, a),
                len: 1,
            }),
        ],
    );
    assert_eq!(Change::from_bytes(&c.to_bytes()), Ok(c));
}

static NOW: AtomicU64 = AtomicU64::new(0);

fn test_clock() -> u64 {
    NOW.load(Ordering::Relaxed)
}

/// Commits in one millisecond, in later ones and with the clock going back: the logical
/// counters the batch encodes relative to each other survive export and import (the hashes,
/// over the canonical encoding, match).
#[test]
fn a_batch_of_commits_in_one_millisecond_round_trips() {
    let mut doc = Doc::new(ActorId([2; 32]));
    doc.set_time_source(test_clock);
    for (i, now) in [5, 5, 5, 6, 6, 3, 3, 9, 9, 9].into_iter().enumerate() {
        NOW.store(now, Ordering::Relaxed);
        doc.get_text("t").insert(i, "x").expect("insert");
        doc.commit(None);
    }
    let bytes = doc.export_changes(&Default::default());
    let mut copy = Doc::new(ActorId([3; 32]));
    copy.import_changes(&bytes).expect("imports");
    assert_eq!(copy.heads(), doc.heads());
    let mut loaded = Doc::load(&doc.save(), ActorId([4; 32])).expect("loads");
    assert_eq!(loaded.heads(), doc.heads());
    assert_eq!(loaded.to_json(), doc.to_json());
}

#[test]
fn an_empty_insert_is_refused_by_the_decoder() {
    let a = ActorId([1; 32]);
    let time = Hlc {
        millis: 1,
        logical: 0,
        actor: a,
    };
    // With an origin it has bytes behind it, and is refused as an insert of nothing.
    let c = change(time, vec![insert("", Some(OpId::new(9, a)), None)]);
    assert_eq!(
        Change::from_bytes(&c.to_bytes()),
        Err(DecodeError::NotCanonical)
    );
    // Without one it has none, and the operation count is refused first.
    let c = change(time, vec![insert("", None, None)]);
    assert!(matches!(
        Change::from_bytes(&c.to_bytes()),
        Err(DecodeError::LengthOutOfBounds { len: 1, .. })
    ));
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A change chunk declaring `ops` one-character deletes with every per-operation column one
/// run, and bytes for one reference counter only.
fn declaring_deletes(ops: u64) -> Vec<u8> {
    let mut body = vec![1];
    body.extend_from_slice(&[1; 32]); // one actor
    body.extend_from_slice(&[0, 0]); // no external deps, no claims
    body.extend_from_slice(&[1, 0x02, 1, b't']); // one container: root text "t"
    varint(&mut body, 1); // one change
    let run = |value: u64, len: u64| {
        let mut c = Vec::new();
        varint(&mut c, len);
        varint(&mut c, value);
        c
    };
    let mut op_count = Vec::new();
    varint(&mut op_count, ops);
    let columns: [Vec<u8>; 20] = [
        run(0, 1),   // actor
        run(0, 1),   // seq
        run(0, 1),   // dep count
        vec![],      // deps
        vec![0],     // start op
        run(2, 1),   // millis
        run(0, 1),   // logical
        run(0, 1),   // time actor
        run(0, 1),   // message
        vec![],      // message text
        run(0, 1),   // signed
        vec![],      // signatures
        op_count,    // op count
        run(0, ops), // container
        run(2, ops), // action: delete
        run(1, ops), // length
        run(1, ops), // ref actor
        vec![1],     // one reference counter: zigzag(0 − 1), start counter 1
        vec![],      // text
        vec![],      // misc
    ];
    for column in &columns {
        varint(&mut body, column.len() as u64);
        body.extend_from_slice(column);
    }
    let mut chunk = b"DAGS".to_vec();
    chunk.extend([3, 0x01, 0]);
    chunk.extend_from_slice(&body);
    let crc = crc32fast::hash(&chunk);
    chunk.extend(crc.to_le_bytes());
    chunk
}

/// Every operation must take a byte of the text, reference or misc column, so a million
/// operations declared in about 100 bytes are refused before anything is reserved for them.
#[test]
fn run_length_columns_cannot_declare_operations_without_bytes() {
    let one = Change::from_bytes(&declaring_deletes(1)).expect("one delete decodes");
    assert_eq!(
        one.ops[0].action,
        OpAction::Delete {
            start: OpId::new(1, ActorId([1; 32])),
            len: 1
        }
    );
    let many = declaring_deletes(1_000_000);
    assert!(many.len() < 128, "{} bytes", many.len());
    let result = Change::from_bytes(&many);
    assert!(
        matches!(
            result,
            Err(DecodeError::LengthOutOfBounds { len: 1_000_000, .. })
        ),
        "{result:?}"
    );
}
