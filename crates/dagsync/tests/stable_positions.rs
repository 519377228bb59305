//! Stable positions follow their item through concurrent edits.

use dagsync::{ActorId, Doc, DocError, StablePosition};

fn pair(text: &str) -> (Doc, Doc) {
    let mut alice = Doc::new(ActorId([1; 32]));
    alice.get_text("t").insert(0, text).expect("insert");
    alice.commit(None);
    let bob = alice.fork(ActorId([2; 32]));
    (alice, bob)
}

fn sync(a: &mut Doc, b: &mut Doc) {
    let to_b = a.changes_since(b.version());
    let to_a = b.changes_since(a.version());
    b.apply_changes(to_b).expect("apply");
    a.apply_changes(to_a).expect("apply");
}

#[test]
fn a_caret_stays_before_its_character_when_remote_text_lands_before_it() {
    let (mut alice, mut bob) = pair("hello world");
    let caret = alice.get_text("t").position_at(6).expect("in range");
    bob.get_text("t").insert(0, "big ").expect("insert");
    bob.get_text("t").insert(15, "!").expect("insert");
    bob.commit(None);
    alice.get_text("t").insert(11, "?").expect("insert");
    alice.commit(None);
    sync(&mut alice, &mut bob);
    assert_eq!(
        alice.get_text("t").to_string(),
        bob.get_text("t").to_string()
    );
    assert_eq!(alice.get_text("t").index_of(&caret), Ok(10));
    // The same position means the same place on every replica.
    assert_eq!(bob.get_text("t").index_of(&caret), Ok(10));
    assert_eq!(&alice.get_text("t").to_string()[10..11], "w");
}

#[test]
fn a_position_whose_character_was_deleted_resolves_to_where_it_was() {
    let (mut alice, mut bob) = pair("abcdef");
    let at_d = alice.get_text("t").position_at(3).expect("in range");
    bob.get_text("t").delete(2, 2).expect("delete c and d");
    bob.commit(None);
    sync(&mut alice, &mut bob);
    assert_eq!(alice.get_text("t").to_string(), "abef");
    assert_eq!(alice.get_text("t").index_of(&at_d), Ok(2));
}

#[test]
fn the_end_position_follows_the_end() {
    let (mut alice, mut bob) = pair("abc");
    let end = alice.get_text("t").position_at(3).expect("the end");
    assert_eq!(end, StablePosition { before: None });
    bob.get_text("t").insert(3, "def").expect("append");
    bob.commit(None);
    sync(&mut alice, &mut bob);
    assert_eq!(alice.get_text("t").index_of(&end), Ok(6));
    assert!(matches!(
        alice.get_text("t").position_at(7),
        Err(DocError::OutOfRange { .. })
    ));
}

#[test]
fn positions_round_trip_as_strings_and_bad_ones_are_refused() {
    let (mut alice, _) = pair("xyz");
    let p = alice.get_text("t").position_at(1).expect("in range");
    let s = p.to_string();
    assert_eq!(s.parse::<StablePosition>(), Ok(p));
    assert_eq!(
        "end".parse::<StablePosition>(),
        Ok(StablePosition { before: None })
    );
    for bad in ["", "12", "x@y", "1@zz", "1@00"] {
        assert_eq!(
            bad.parse::<StablePosition>(),
            Err(DocError::UnknownPosition),
            "{bad}"
        );
    }
    // A position of another container, or of an unknown actor, names nothing here.
    alice.get_text("other").insert(0, "q").expect("insert");
    let elsewhere = alice.get_text("other").position_at(0).expect("in range");
    assert_eq!(
        alice.get_text("t").index_of(&elsewhere),
        Err(DocError::UnknownPosition)
    );
    let stranger = format!("5@{}", ActorId([9; 32]).to_hex());
    let stranger: StablePosition = stranger.parse().expect("well formed");
    assert_eq!(
        alice.get_text("t").index_of(&stranger),
        Err(DocError::UnknownPosition)
    );
}

#[test]
fn utf16_positions_count_surrogate_pairs() {
    let (mut alice, mut bob) = pair("a😀b");
    let before_b = alice
        .get_text("t")
        .position_at_utf16(3)
        .expect("after the emoji");
    assert_eq!(alice.get_text("t").index_of(&before_b), Ok(2));
    bob.get_text("t").insert(0, "😀").expect("insert");
    bob.commit(None);
    sync(&mut alice, &mut bob);
    assert_eq!(alice.get_text("t").index_of_utf16(&before_b), Ok(5));
    assert_eq!(
        alice.get_text("t").position_at_utf16(1),
        Err(DocError::SplitsSurrogatePair(1))
    );
}

#[test]
fn list_positions_follow_items() {
    let mut alice = Doc::new(ActorId([1; 32]));
    for (i, v) in ["a", "b", "c"].into_iter().enumerate() {
        alice.get_list("l").insert(i, v).expect("insert");
    }
    alice.commit(None);
    let mut bob = alice.fork(ActorId([2; 32]));
    let at_c = alice.get_list("l").position_at(2).expect("in range");
    bob.get_list("l").insert(0, "z").expect("insert");
    bob.get_list("l").delete(1, 1).expect("delete a");
    bob.commit(None);
    sync(&mut alice, &mut bob);
    assert_eq!(alice.get_list("l").index_of(&at_c), Ok(2));
}
