//! The sans-IO repo: documents by id, storage, peers, errors per peer.

use dagsync::repo::{DocId, MemoryStorage, PeerId, Repo, RepoError, RepoEvent, Storage};
use dagsync::{ActorId, Doc, SyncError, SyncState};

#[path = "common/repos.rs"]
mod repos;
use repos::{pump, text};

fn repo(n: u8) -> Repo {
    Repo::new(ActorId([n; 32]), Box::new(MemoryStorage::new())).expect("memory storage")
}

#[test]
fn documents_are_announced_and_synced_both_ways() {
    let (mut a, mut b) = (repo(1), repo(2));
    let x = a.create().expect("create");
    let y = b.create().expect("create");
    a.change(&x, |d| d.get_text("t").insert(0, "from a"))
        .expect("doc")
        .expect("edit");
    b.change(&y, |d| d.get_text("t").insert(0, "from b"))
        .expect("doc")
        .expect("edit");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    assert_eq!(a.doc_ids(), b.doc_ids());
    assert_eq!(text(&mut b, &x), "from a");
    assert_eq!(text(&mut a, &y), "from b");
    let events: Vec<RepoEvent> = std::iter::from_fn(|| b.poll_event()).collect();
    assert!(events.contains(&RepoEvent::PeerConnected(PeerId::from("a"))));
    assert!(events.contains(&RepoEvent::DocAdded(x)));
    // Local changes sync by themselves while connected.
    a.change(&y, |d| d.get_text("t").insert(0, ">"))
        .expect("doc")
        .expect("edit");
    pump(&mut a, &mut b);
    assert_eq!(text(&mut b, &y), ">from b");
}

#[test]
fn a_restart_with_storage_resumes_from_the_stored_sync_state() {
    let (mut a, mut b) = (repo(1), repo(2));
    let x = a.create().expect("create");
    for i in 0..1_000 {
        a.change(&x, |d| d.get_text("t").insert(0, &format!("{i} ")))
            .expect("doc")
            .expect("edit");
        a.doc_mut(&x).expect("doc").heads();
    }
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    let first = pump(&mut a, &mut b);
    // b goes away, restarts from its storage; a makes one more change meanwhile.
    a.disconnect(&PeerId::from("b")).expect("disconnect");
    b.disconnect(&PeerId::from("a")).expect("disconnect");
    let storage = b.into_storage();
    let mut b = Repo::new(ActorId([2; 32]), storage).expect("reload");
    assert_eq!(text(&mut b, &x), text(&mut a, &x));
    a.change(&x, |d| d.get_text("t").insert(0, "new "))
        .expect("doc")
        .expect("edit");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    let resumed = pump(&mut a, &mut b);
    assert_eq!(text(&mut b, &x), text(&mut a, &x));
    assert!(
        resumed * 3 < first,
        "resumed {resumed} B vs first {first} B"
    );
}

#[test]
fn storage_is_compacted_and_reloads() {
    let mut storage = MemoryStorage::new();
    let x = DocId([7; 16]);
    let written: usize;
    {
        let mut a = Repo::new(ActorId([1; 32]), Box::new(storage.clone())).expect("new");
        a.create_with_id(x).expect("create");
        for i in 0..400 {
            // ~1 KB of fresh text per change: 400 KB written in all.
            let text: String = (0..1_000)
                .map(|j| char::from(b'a' + ((i * 7 + j) % 26) as u8))
                .collect();
            a.change(&x, |d| {
                d.get_map("m").set("k", i as i64)?;
                d.get_text("t").insert(0, &text)
            })
            .expect("doc")
            .expect("edit");
            // Compaction waits for the timer (never in the way of applying changes).
            a.tick(i as u64).expect("tick");
        }
        let boxed = a.into_storage();
        // Read the chunks back through the trait: merged whenever the appended ones outgrew
        // the last merged one, so few remain and the stored bytes stay near the document's.
        let chunks = boxed.load_chunks(&x).expect("load");
        assert!(chunks.len() < 100, "{} chunks", chunks.len());
        written = chunks.iter().map(Vec::len).sum();
        for chunk in chunks {
            storage.append_chunk(&x, chunk).expect("copy");
        }
    }
    let mut b = Repo::new(ActorId([1; 32]), Box::new(storage)).expect("reload");
    let mut doc = b.doc_mut(&x).expect("doc");
    assert_eq!(
        doc.get_map("m").get("k"),
        Some(dagsync::Item::Value(399i64.into()))
    );
    assert_eq!(doc.get_text("t").len(), 400_000);
    let saved = doc.save().len();
    // Chunks appended since the last compaction may add up to its threshold.
    let slack = dagsync::repo::RepoConfig::default().compact_min_bytes;
    assert!(
        written <= 3 * saved + slack,
        "{written} B stored for a {saved} B document"
    );
    assert!(
        written < 400_000 / 4,
        "{written} B stored for 400 KB of text"
    );
}

#[test]
fn a_damaged_stored_chunk_is_skipped_and_reported() {
    let mut storage = MemoryStorage::new();
    let x = DocId([8; 16]);
    {
        let mut a = Repo::new(ActorId([1; 32]), Box::new(storage.clone())).expect("new");
        a.create_with_id(x).expect("create");
        a.change(&x, |d| d.get_text("t").insert(0, "kept"))
            .expect("doc")
            .expect("edit");
        for chunk in a.into_storage().load_chunks(&x).expect("load") {
            storage.append_chunk(&x, chunk).expect("copy");
        }
    }
    storage
        .append_chunk(&x, b"DAGS not a chunk".to_vec())
        .expect("append");
    let mut b = Repo::new(ActorId([1; 32]), Box::new(storage)).expect("opens anyway");
    assert_eq!(text(&mut b, &x), "kept");
    let events: Vec<RepoEvent> = std::iter::from_fn(|| b.poll_event()).collect();
    assert!(events
        .iter()
        .any(|e| matches!(e, RepoEvent::StoredChunkRefused { doc, .. } if *doc == x)));
}

#[test]
fn bad_frames_and_messages_are_errors_for_that_peer_only() {
    let (mut a, mut b) = (repo(1), repo(2));
    let x = a.create().expect("create");
    a.change(&x, |d| d.get_text("t").insert(0, "kept"))
        .expect("doc")
        .expect("edit");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    a.connect(PeerId::from("evil")).expect("connect");
    while a.poll_frame().is_some() {}
    let heads = a.doc_mut(&x).expect("doc").heads();
    let evil = PeerId::from("evil");
    assert!(matches!(
        a.receive(&evil, b"garbage"),
        Err(RepoError::Frame { .. })
    ));
    // A well-framed repo message that is not one.
    let frame = dagsync::sync::split_frames(&[0xD7, 9, 9], 0, 1024).remove(0);
    assert!(matches!(
        a.receive(&evil, &frame),
        Err(RepoError::Malformed { .. })
    ));
    // A sync message for a known document that is corrupt.
    let mut bytes = vec![0xD7, 1, 2];
    bytes.extend_from_slice(&x.0);
    bytes.extend_from_slice(b"DSYN\x01 broken");
    let frame = dagsync::sync::split_frames(&bytes, 1, 1024).remove(0);
    assert!(matches!(
        a.receive(&evil, &frame),
        Err(RepoError::Sync {
            source: SyncError::Malformed(_),
            ..
        })
    ));
    // A sync message for an unknown document that is corrupt creates nothing.
    let mut bytes = vec![0xD7, 1, 2];
    bytes.extend_from_slice(&[9; 16]);
    bytes.extend_from_slice(b"nope");
    let frame = dagsync::sync::split_frames(&bytes, 2, 1024).remove(0);
    assert!(a.receive(&evil, &frame).is_err());
    assert_eq!(a.doc_ids(), vec![x]);
    // Forged changes: the same author and sequence number as an existing change.
    let mut forger = Doc::new(ActorId([1; 32]));
    forger.get_text("t").insert(0, "forged").expect("edit");
    forger.commit(None);
    let message = forger
        .generate_sync_message(&mut SyncState::new())
        .expect("message");
    let mut reply_state = SyncState::new();
    let mut probe = Doc::new(ActorId([9; 32]));
    probe
        .receive_sync_message(&mut reply_state, &message)
        .expect("valid");
    let mut forged_state = SyncState::new();
    let _ = forger.generate_sync_message(&mut forged_state);
    forger
        .receive_sync_message(
            &mut forged_state,
            &a.doc_mut(&x)
                .expect("doc")
                .generate_sync_message(&mut SyncState::new())
                .expect("message"),
        )
        .expect("valid");
    let forged = forger
        .generate_sync_message(&mut forged_state)
        .expect("answer with changes");
    let mut bytes = vec![0xD7, 1, 2];
    bytes.extend_from_slice(&x.0);
    bytes.extend_from_slice(&forged);
    let frame = dagsync::sync::split_frames(&bytes, 3, 1 << 20).remove(0);
    assert!(matches!(
        a.receive(&evil, &frame),
        Err(RepoError::Sync {
            source: SyncError::InvalidChanges(_),
            ..
        })
    ));
    assert_eq!(a.doc_mut(&x).expect("doc").heads(), heads);
    assert_eq!(text(&mut a, &x), "kept");
    // The honest peer is unaffected.
    a.change(&x, |d| d.get_text("t").insert(4, "!"))
        .expect("doc")
        .expect("edit");
    while let Some((to, frame)) = a.poll_frame() {
        if to == PeerId::from("b") {
            b.receive(&PeerId::from("a"), &frame).expect("valid");
        }
    }
    pump(&mut a, &mut b);
    assert_eq!(text(&mut b, &x), "kept!");
    assert!(matches!(
        a.receive(&PeerId::from("nobody"), &frame_of_nothing()),
        Err(RepoError::UnknownPeer(_))
    ));
}

fn frame_of_nothing() -> Vec<u8> {
    dagsync::sync::split_frames(&[], 0, 1024).remove(0)
}

#[test]
fn stats_count_frames_and_a_peer_cannot_add_documents_without_limit() {
    use dagsync::repo::RepoConfig;
    let config = RepoConfig {
        max_docs: 2,
        ..RepoConfig::default()
    };
    let mut small = Repo::with_config(ActorId([1; 32]), Box::new(MemoryStorage::new()), config)
        .expect("memory storage");
    let mut big = repo(2);
    for _ in 0..3 {
        big.create().expect("create");
    }
    small.connect(PeerId::from("b")).expect("connect");
    big.connect(PeerId::from("a")).expect("connect");
    let mut refused = 0;
    loop {
        let mut moved = false;
        while let Some((_, frame)) = big.poll_frame() {
            if small.receive(&PeerId::from("b"), &frame).is_err() {
                refused += 1;
            }
            moved = true;
        }
        while let Some((_, frame)) = small.poll_frame() {
            big.receive(&PeerId::from("a"), &frame).expect("valid");
            moved = true;
        }
        if !moved {
            break;
        }
    }
    assert!(refused > 0);
    let stats = small.stats();
    assert_eq!(stats.docs, 2);
    assert_eq!(stats.peers, 1);
    assert!(stats.frames_received > 0 && stats.frames_sent > 0 && stats.refused > 0);
    let storage = small.close().expect("close");
    assert_eq!(storage.doc_ids().expect("ids").len(), 2);
}
