//! Presence: signed, throttled, delta-encoded ephemeral states that expire.

mod common;
use common::obj;

use dagsync::presence::{Presence, PresenceConfig, PresenceError, PresenceEvent};
use dagsync::{ActorId, Doc, Identity, StablePosition, Value};

fn id(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

fn config() -> PresenceConfig {
    PresenceConfig {
        throttle_ms: 50,
        timeout_ms: 3_000,
        full_every: 5,
    }
}

#[test]
fn peers_see_each_others_state_and_its_changes() {
    let (mut a, mut b) = (
        Presence::new(&id(1), config()),
        Presence::new(&id(2), config()),
    );
    a.set(obj(&[("name", "Ada".into()), ("color", "#e33".into())]));
    let m = a.poll_message(0).expect("first state");
    assert_eq!(
        b.receive(&m, 0),
        Ok(Some(PresenceEvent::Updated(id(1).actor())))
    );
    assert_eq!(b.get()[&id(1).actor()], a.local());
    // A change of one field travels as that field only.
    a.set(obj(&[("name", "Ada".into()), ("color", "#3e3".into())]));
    let delta = a.poll_message(100).expect("a change");
    assert!(
        delta.len() < m.len(),
        "{} vs {} bytes",
        delta.len(),
        m.len()
    );
    assert_eq!(
        b.receive(&delta, 100),
        Ok(Some(PresenceEvent::Updated(id(1).actor())))
    );
    assert_eq!(b.get()[&id(1).actor()], a.local());
    // A removed field is removed.
    a.set(obj(&[("name", "Ada".into())]));
    let m = a.poll_message(200).expect("a change");
    b.receive(&m, 200).expect("valid");
    assert_eq!(b.get()[&id(1).actor()], obj(&[("name", "Ada".into())]));
    // Nothing new: nothing to send until the heartbeat.
    assert_eq!(a.poll_message(300), None);
    assert!(
        a.poll_message(1_300).is_some(),
        "heartbeat after a third of the timeout"
    );
}

#[test]
fn changes_within_the_throttle_interval_go_as_one_message() {
    let (mut a, mut b) = (
        Presence::new(&id(1), config()),
        Presence::new(&id(2), config()),
    );
    a.set(obj(&[("x", Value::I64(0))]));
    b.receive(&a.poll_message(0).expect("first state"), 0)
        .expect("valid");
    for i in 1..10 {
        a.set(obj(&[("x", Value::I64(i))]));
        assert_eq!(a.poll_message(i as u64 * 4), None, "throttled");
    }
    let m = a.poll_message(60).expect("the merged change");
    b.receive(&m, 60).expect("valid");
    assert_eq!(b.get()[&id(1).actor()], obj(&[("x", Value::I64(9))]));
    // A peer that missed the first (full) state shows nobody until the next full one.
    let mut late = Presence::new(&id(3), config());
    late.receive(&m, 60).expect("valid");
    assert!(late.get().is_empty());
}

#[test]
fn silent_peers_expire_and_leavers_go_at_once() {
    let (mut a, mut b, mut c) = (
        Presence::new(&id(1), config()),
        Presence::new(&id(2), config()),
        Presence::new(&id(3), config()),
    );
    for (p, name) in [(&mut b, "b"), (&mut c, "c")] {
        p.set(obj(&[("name", name.into())]));
    }
    for now in [0u64, 1_000, 2_000, 3_000, 4_000] {
        // b keeps sending heartbeats; c stops after the first message.
        if let Some(m) = b.poll_message(now) {
            a.receive(&m, now).expect("valid");
        }
        if now == 0 {
            let m = c.poll_message(now).expect("first");
            a.receive(&m, now).expect("valid");
        }
        let gone = a.tick(now);
        if now == 4_000 {
            assert_eq!(gone, vec![PresenceEvent::Gone(id(3).actor())]);
        } else {
            assert!(gone.is_empty(), "at {now}: {gone:?}");
        }
    }
    assert_eq!(a.get().len(), 1);
    b.leave();
    let bye = b.poll_message(4_010).expect("leave message");
    assert_eq!(
        a.receive(&bye, 4_010),
        Ok(Some(PresenceEvent::Gone(id(2).actor())))
    );
    assert!(a.get().is_empty());
}

#[test]
fn nobody_speaks_for_another_and_garbage_changes_nothing() {
    let (mut a, mut b) = (
        Presence::new(&id(1), config()),
        Presence::new(&id(2), config()),
    );
    a.set(obj(&[("name", "Ada".into())]));
    let m = a.poll_message(0).expect("state");
    // Altered anywhere: the signature fails.
    for at in [10, 40, m.len() - 70, m.len() - 1] {
        let mut bad = m.clone();
        bad[at] ^= 1;
        assert!(b.receive(&bad, 0).is_err(), "byte {at}");
    }
    // Mallory re-signs with her key under Ada's actor id.
    let mut forged = m[..m.len() - 64].to_vec();
    forged.extend_from_slice(&[0u8; 64]);
    assert_eq!(b.receive(&forged, 0), Err(PresenceError::BadSignature));
    for junk in [&b""[..], b"DGPR", &[0u8; 100][..]] {
        assert!(b.receive(junk, 0).is_err());
    }
    assert!(b.get().is_empty());
    b.receive(&m, 0).expect("the genuine one");
    assert_eq!(b.get().len(), 1);
}

#[test]
fn a_peer_that_missed_a_delta_catches_up_at_the_next_full_state() {
    let (mut a, mut b) = (
        Presence::new(&id(1), config()),
        Presence::new(&id(2), config()),
    );
    let mut now = 0;
    let mut step = |a: &mut Presence, v: i64, deliver: bool, b: &mut Presence| {
        a.set(obj(&[("cursor", Value::I64(v)), ("name", "Ada".into())]));
        now += 100;
        let m = a.poll_message(now).expect("a change");
        if deliver {
            let _ = b.receive(&m, now).expect("valid");
        }
    };
    step(&mut a, 1, true, &mut b);
    step(&mut a, 2, false, &mut b); // lost
    step(&mut a, 3, true, &mut b); // does not apply on what b has: ignored
    assert_eq!(
        b.get()[&id(1).actor()],
        obj(&[("cursor", Value::I64(1)), ("name", "Ada".into())])
    );
    for v in 4..=6 {
        step(&mut a, v, true, &mut b); // message 6 is a full state (every fifth from the first)
    }
    assert_eq!(b.get()[&id(1).actor()], a.local());
}

#[test]
fn a_remote_cursor_is_a_stable_position_that_follows_edits() {
    let mut alice_doc = Doc::new(ActorId([1; 32]));
    alice_doc
        .get_text("t")
        .insert(0, "hello world")
        .expect("insert");
    alice_doc.commit(None);
    let mut bob_doc = alice_doc.fork(ActorId([2; 32]));
    let (mut alice, mut bob) = (
        Presence::new(&id(1), config()),
        Presence::new(&id(2), config()),
    );
    let caret = alice_doc.get_text("t").position_at(6).expect("in range");
    alice.set(obj(&[("cursor", Value::Str(caret.to_string()))]));
    let m = alice.poll_message(0).expect("state");
    bob.receive(&m, 0).expect("valid");
    bob_doc.get_text("t").insert(0, ">> ").expect("insert");
    let state = &bob.get()[&id(1).actor()];
    let Value::Object(fields) = state else {
        panic!("an object")
    };
    let position: StablePosition = fields["cursor"]
        .as_str()
        .expect("a string")
        .parse()
        .expect("valid");
    assert_eq!(
        bob_doc.get_text("t").index_of(&position),
        Ok(9),
        "still before the 'w'"
    );
}

proptest::proptest! {
    /// Any bytes: a typed error or a valid message, never a panic, and a refused message
    /// changes nothing.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
        let mut p = Presence::new(&id(2), config());
        if p.receive(&bytes, 0).is_err() {
            proptest::prop_assert!(p.get().is_empty());
        }
    }

    /// Every truncation and single-byte change of a real message is refused.
    #[test]
    fn damaged_messages_are_refused(cut in 0usize..200, flip in 0usize..200, bit in 0u8..8) {
        let mut a = Presence::new(&id(1), config());
        a.set(obj(&[("name", "Ada".into()), ("n", Value::I64(7))]));
        let m = a.poll_message(0).expect("state");
        let mut p = Presence::new(&id(2), config());
        let cut = cut % m.len();
        proptest::prop_assert!(p.receive(&m[..cut], 0).is_err());
        let mut bad = m.clone();
        let at = flip % m.len();
        bad[at] ^= 1 << bit;
        proptest::prop_assert!(p.receive(&bad, 0).is_err());
        proptest::prop_assert!(p.get().is_empty());
    }
}
