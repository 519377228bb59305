//! The repo's peers: the identity handshake, faults, bans, frame sizes, and documents shared
//! with their editors (issue 6 and the browser repo of issue 9).

use std::cell::RefCell;
use std::rc::Rc;

use dagsync::auth::Identity;
use dagsync::repo::{
    DocId, MemoryStorage, PeerFault, PeerId, Repo, RepoConfig, RepoError, RepoEvent, Storage,
    StorageError,
};
use dagsync::sync::split_frames;

#[path = "common/repos.rs"]
mod repos;
use repos::{pump, pump_with, text};

fn identity(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

fn signed_repo(n: u8) -> Repo {
    Repo::with_identity(
        identity(n),
        Box::new(MemoryStorage::new()),
        RepoConfig::default(),
    )
    .expect("memory storage")
}

fn events(repo: &mut Repo) -> Vec<RepoEvent> {
    std::iter::from_fn(|| repo.poll_event()).collect()
}

#[test]
fn the_handshake_tells_each_side_who_the_other_is() {
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    let x = a.create().expect("create");
    a.change(&x, |d| d.get_text("t").insert(0, "signed"))
        .expect("doc")
        .expect("edit");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    assert_eq!(a.peer_actor(&PeerId::from("b")), Some(identity(2).actor()));
    assert_eq!(b.peer_actor(&PeerId::from("a")), Some(identity(1).actor()));
    assert!(events(&mut b).contains(&RepoEvent::PeerAuthenticated {
        peer: PeerId::from("a"),
        actor: identity(1).actor()
    }));
    assert_eq!(text(&mut b, &x), "signed");
    // The documents of a repo with an identity are signed by it and require signatures.
    let doc = b.doc(&x).expect("doc");
    assert!(doc.requires_signatures());
    assert_eq!(doc.actor(), identity(2).actor());
}

#[test]
fn a_peer_claiming_someone_elses_key_fails_the_handshake() {
    let mut honest = signed_repo(1);
    honest.connect(PeerId::from("m")).expect("connect");
    let challenge = loop {
        let (_, frame) = honest.poll_frame().expect("hello first");
        // The Hello: tag, version, kind 3, actor (32), nonce (32), inside one frame.
        if let Some(at) = find_hello(&frame) {
            break frame[at + 32..at + 64].to_vec();
        }
    };
    assert_eq!(challenge.len(), 32);
    // Mallory claims to be actor 2 but signs with her own key.
    let claim = hello_message(&identity(2).actor().0, &[7; 32]);
    honest
        .receive(&PeerId::from("m"), &split_frames(&claim, 0, 1024)[0])
        .expect("a claim alone is fine");
    let nonce: [u8; 32] = challenge.try_into().expect("32 bytes");
    let forged = identity(9).sign_message(b"dagsync repo handshake v1", &nonce);
    let mut proof = vec![0xD7, 1, 4];
    proof.extend_from_slice(&forged.0);
    assert_eq!(
        honest.receive(&PeerId::from("m"), &split_frames(&proof, 1, 1024)[0]),
        Err(RepoError::Handshake(PeerId::from("m")))
    );
    assert_eq!(honest.peer_actor(&PeerId::from("m")), None);
    assert!(events(&mut honest).contains(&RepoEvent::Fault {
        peer: PeerId::from("m"),
        fault: PeerFault::BadHandshake
    }));
    // A proof for another challenge (replayed from an earlier session) fails too.
    let replayed = identity(2).sign_message(b"dagsync repo handshake v1", &[0; 32]);
    let mut proof = vec![0xD7, 1, 4];
    proof.extend_from_slice(&replayed.0);
    assert!(honest
        .receive(&PeerId::from("m"), &split_frames(&proof, 2, 1024)[0])
        .is_err());
    assert_eq!(honest.peer_actor(&PeerId::from("m")), None);
}

/// Where the actor of a Hello message starts in `frame`, if the frame holds one.
fn find_hello(frame: &[u8]) -> Option<usize> {
    frame
        .windows(3)
        .position(|w| w == [0xD7, 1, 3])
        .map(|i| i + 3)
        .filter(|&at| frame.len() >= at + 64)
}

fn hello_message(actor: &[u8; 32], nonce: &[u8; 32]) -> Vec<u8> {
    let mut m = vec![0xD7, 1, 3];
    m.extend_from_slice(actor);
    m.extend_from_slice(nonce);
    m
}

#[test]
fn a_peer_sending_garbage_is_banned_and_the_others_carry_on() {
    let config = RepoConfig {
        max_faults: 5,
        ..RepoConfig::default()
    };
    let mut a = Repo::with_identity(identity(1), Box::new(MemoryStorage::new()), config)
        .expect("memory storage");
    let mut b = signed_repo(2);
    let x = a.create().expect("create");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    a.connect(PeerId::from("junk")).expect("connect");
    pump(&mut a, &mut b);
    let junk = PeerId::from("junk");
    for i in 0..5u8 {
        assert!(a.receive(&junk, &[i; 40]).is_err());
    }
    assert_eq!(a.peers(), vec![PeerId::from("b")]);
    let seen = events(&mut a);
    let faults = seen
        .iter()
        .filter(|e| matches!(e, RepoEvent::Fault { peer, .. } if *peer == junk))
        .count();
    assert_eq!(faults, 5);
    assert!(seen.contains(&RepoEvent::PeerBanned {
        peer: junk.clone(),
        actor: None
    }));
    assert_eq!(
        a.receive(&junk, &[0; 8]),
        Err(RepoError::Banned(junk.clone()))
    );
    assert_eq!(a.connect(junk.clone()), Err(RepoError::Banned(junk)));
    assert_eq!(a.stats().refused, 5);
    // The honest peer still syncs.
    b.change(&x, |d| d.get_text("t").insert(0, "still here"))
        .expect("doc")
        .expect("edit");
    pump(&mut a, &mut b);
    assert_eq!(text(&mut a, &x), "still here");
}

#[test]
fn a_banned_actor_is_dropped_now_and_after_its_next_handshake() {
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    a.ban(identity(2).actor()).expect("ban");
    assert!(a.peers().is_empty());
    assert!(events(&mut a).contains(&RepoEvent::PeerBanned {
        peer: PeerId::from("b"),
        actor: Some(identity(2).actor())
    }));
    // The same actor comes back under another transport id: dropped once it proves itself.
    let mut b = signed_repo(2);
    a.connect(PeerId::from("b2")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump_with(&mut a, &mut b, ("a", "b2"), |_, _| {});
    assert!(a.peers().is_empty());
    assert!(events(&mut a).contains(&RepoEvent::PeerBanned {
        peer: PeerId::from("b2"),
        actor: Some(identity(2).actor())
    }));
    assert_eq!(
        a.banned_actors().collect::<Vec<_>>(),
        vec![&identity(2).actor()]
    );
}

#[test]
fn frames_fit_each_links_limit() {
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    let x = a.create().expect("create");
    // 20,000 characters that do not compress away.
    let mut state = 7u32;
    let long: String = (0..20_000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            char::from(b'a' + (state >> 16) as u8 % 26)
        })
        .collect();
    a.change(&x, |d| d.get_text("t").insert(0, &long))
        .expect("doc")
        .expect("edit");
    a.connect_with_max_frame(PeerId::from("b"), 1_000)
        .expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    let mut largest = 0;
    let errors = pump_with(&mut a, &mut b, ("a", "b"), |a_to_b, frame| {
        if a_to_b {
            largest = largest.max(frame.len());
        }
    });
    assert_eq!(errors, vec![]);
    assert!((900..=1_000).contains(&largest), "{largest} B");
    assert_eq!(text(&mut b, &x), text(&mut a, &x));
}

#[test]
fn edits_through_the_shared_document_are_stored_and_synced() {
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    let x = a.create().expect("create");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    let cell = a.doc_cell(&x).expect("doc");
    cell.borrow_mut()
        .get_text("t")
        .insert(0, "typed in the app")
        .expect("edit");
    // While the app holds the document, the repo reports it busy instead of panicking.
    {
        let _held = cell.borrow_mut();
        assert_eq!(a.local_change(&x), Err(RepoError::DocBusy(x)));
    }
    a.local_change(&x).expect("store and sync");
    pump(&mut a, &mut b);
    assert_eq!(text(&mut b, &x), "typed in the app");
    let storage = a.into_storage();
    let reloaded = Repo::with_identity(identity(1), storage, RepoConfig::default())
        .expect("reload")
        .doc_mut(&x)
        .map(|mut d| d.heads());
    assert_eq!(reloaded, b.doc_mut(&x).map(|mut d| d.heads()));
}

#[test]
fn chunks_another_tab_stored_are_merged_without_storing_them_again() {
    // Two repos on one database (two tabs): tab 2 stores changes, tab 1 reads them from
    // storage and merges them.
    let disk = SharedDisk::default();
    let mut tab1 = Repo::with_identity(identity(1), Box::new(disk.clone()), RepoConfig::default())
        .expect("memory storage");
    let mut tab2 = signed_repo(2);
    let x = tab1.create().expect("create");
    tab1.change(&x, |d| d.get_text("t").insert(0, "one "))
        .expect("doc")
        .expect("edit");
    let first = tab1
        .doc_mut(&x)
        .expect("doc")
        .export_changes(&Default::default());
    tab2.merge_stored_chunk(&x, &first).expect("merge");
    assert!(events(&mut tab2).contains(&RepoEvent::DocAdded(x)));
    tab2.change(&x, |d| d.get_text("t").insert(4, &"two ".repeat(500)))
        .expect("doc")
        .expect("edit");
    let theirs = tab2.into_storage().load_chunks(&x).expect("chunks");
    for chunk in &theirs {
        assert!(tab1.merge_stored_chunk(&x, chunk).is_ok());
    }
    assert!(text(&mut tab1, &x).starts_with("one two two"));
    let heads = tab1.doc_mut(&x).map(|mut d| d.heads());
    assert!(matches!(
        tab1.merge_stored_chunk(&x, b"not a chunk"),
        Err(RepoError::Storage(_))
    ));
    assert_eq!(tab1.doc_mut(&x).map(|mut d| d.heads()), heads);
    // Tab 1's own next edit stores only itself, not what tab 2 stored already.
    let before = disk.bytes(&x);
    tab1.change(&x, |d| d.get_text("t").insert(0, "!"))
        .expect("doc")
        .expect("edit");
    let grown = disk.bytes(&x) - before;
    assert!(grown < 300, "{grown} B stored for one character");
}

/// Storage the test can look into while a repo uses it.
#[derive(Clone, Default)]
struct SharedDisk(Rc<RefCell<MemoryStorage>>);

impl SharedDisk {
    fn bytes(&self, id: &DocId) -> usize {
        let chunks = self.0.borrow().load_chunks(id).expect("chunks");
        chunks.iter().map(Vec::len).sum()
    }
}

impl Storage for SharedDisk {
    fn doc_ids(&self) -> Result<Vec<DocId>, StorageError> {
        self.0.borrow().doc_ids()
    }
    fn load_chunks(&self, doc: &DocId) -> Result<Vec<Vec<u8>>, StorageError> {
        self.0.borrow().load_chunks(doc)
    }
    fn append_chunk(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError> {
        self.0.borrow_mut().append_chunk(doc, chunk)
    }
    fn compact(&mut self, doc: &DocId, chunk: Vec<u8>) -> Result<(), StorageError> {
        self.0.borrow_mut().compact(doc, chunk)
    }
    fn load_sync_state(&self, doc: &DocId, peer: &PeerId) -> Result<Option<Vec<u8>>, StorageError> {
        self.0.borrow().load_sync_state(doc, peer)
    }
    fn save_sync_state(
        &mut self,
        doc: &DocId,
        peer: &PeerId,
        state: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.0.borrow_mut().save_sync_state(doc, peer, state)
    }
}

#[test]
fn a_peer_back_under_another_transport_id_resumes_where_it_left() {
    // Transports name a device anew after a reload; the handshake names its actor, and the
    // stored sync states follow the actor.
    let disk = SharedDisk::default();
    let mut a = Repo::with_identity(identity(1), Box::new(disk.clone()), RepoConfig::default())
        .expect("memory storage");
    let mut b = signed_repo(2);
    let x = a.create().expect("create");
    for i in 0..3_000 {
        a.change(&x, |d| d.get_text("t").insert(0, &format!("{i} ")))
            .expect("doc")
            .expect("edit");
    }
    let mut first = 0;
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump_with(&mut a, &mut b, ("a", "b"), |_, f| first += f.len());
    a.disconnect(&PeerId::from("b")).expect("disconnect");
    b.disconnect(&PeerId::from("a")).expect("disconnect");
    // a restarts from its storage; b comes back as "b-after-reload" and b made one edit.
    let mut a =
        Repo::with_identity(identity(1), Box::new(disk), RepoConfig::default()).expect("reload");
    b.change(&x, |d| d.get_text("t").insert(0, "new "))
        .expect("doc")
        .expect("edit");
    let mut resumed = 0;
    a.connect(PeerId::from("b-after-reload")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    let errors = pump_with(&mut a, &mut b, ("a", "b-after-reload"), |_, f| {
        resumed += f.len()
    });
    assert_eq!(errors, vec![]);
    assert_eq!(text(&mut a, &x), text(&mut b, &x));
    assert!(text(&mut a, &x).starts_with("new "));
    // Keyed by transport id, the states would be lost and this a full resync again.
    assert!(
        resumed * 10 < first,
        "resumed {resumed} B vs first {first} B"
    );
}

#[test]
fn an_equivocating_author_is_reported_and_banned_not_the_peer_passing_it_on() {
    // One key on two devices (phone, laptop) that write change 2 apart; bob meets the phone
    // directly and the laptop's branch through carol, an honest relay.
    let (mut phone, mut laptop) = (signed_repo(1), signed_repo(1));
    let (mut bob, mut carol) = (signed_repo(2), signed_repo(3));
    let x = phone.create().expect("create");
    phone
        .change(&x, |d| d.get_text("t").insert(0, "base "))
        .expect("doc")
        .expect("edit");
    phone.connect(PeerId::from("b")).expect("connect");
    laptop.connect(PeerId::from("a")).expect("connect");
    pump(&mut phone, &mut laptop);
    phone.disconnect(&PeerId::from("b")).expect("disconnect");
    laptop.disconnect(&PeerId::from("a")).expect("disconnect");
    phone
        .change(&x, |d| d.get_text("t").insert(5, "phone"))
        .expect("doc")
        .expect("edit");
    laptop
        .change(&x, |d| d.get_text("t").insert(5, "laptop"))
        .expect("doc")
        .expect("edit");
    for (a, b) in [(&mut phone, &mut bob), (&mut laptop, &mut carol)] {
        a.connect(PeerId::from("b")).expect("connect");
        b.connect(PeerId::from("a")).expect("connect");
        pump(a, b);
    }
    assert_eq!(text(&mut bob, &x), "base phone");
    assert_eq!(text(&mut carol, &x), "base laptop");
    events(&mut bob);
    // Carol passes the laptop's branch on: bob catches it, reports both hashes, bans the key.
    bob.connect(PeerId::from("carol")).expect("connect");
    carol.connect(PeerId::from("bob")).expect("connect");
    let errors = pump_with(&mut carol, &mut bob, ("carol", "bob"), |_, _| {});
    assert!(errors.is_empty(), "{errors:?}");
    let seen = events(&mut bob);
    let caught = seen.iter().find_map(|e| match e {
        RepoEvent::Equivocation {
            actor,
            seq,
            existing,
            conflicting,
            ..
        } => Some((*actor, *seq, *existing, *conflicting)),
        _ => None,
    });
    let (actor, seq, existing, conflicting) = caught.expect("equivocation reported");
    assert_eq!((actor, seq), (identity(1).actor(), 2));
    assert_ne!(existing, conflicting);
    assert_eq!(
        bob.banned_actors().collect::<Vec<_>>(),
        vec![&identity(1).actor()]
    );
    assert_eq!(
        bob.peers(),
        vec![PeerId::from("carol")],
        "the key's device dropped"
    );
    assert!(
        !seen.iter().any(|e| matches!(e, RepoEvent::Fault { .. })),
        "the relay is not blamed"
    );
    // Both branches are kept, so bob and carol converge.
    let merged = text(&mut bob, &x);
    assert!(
        merged.contains("phone") && merged.contains("laptop"),
        "{merged}"
    );
    assert_eq!(text(&mut carol, &x), merged);
    assert!(
        events(&mut carol)
            .iter()
            .any(|e| matches!(e, RepoEvent::Equivocation { .. })),
        "carol caught it too"
    );
}

#[test]
fn traffic_per_peer_and_sync_latency_are_counted() {
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    let x = a.create().expect("create");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    assert_eq!(
        a.sync_latency().map(|l| l.samples),
        Some(1),
        "the first sync"
    );
    // Each edit reaches b 20 ms later and b's answer 20 ms after that: 40 ms to confirm.
    let mut now = 1_000;
    for i in 0..20 {
        now += 100;
        a.set_now(now);
        a.change(&x, |d| d.get_text("t").insert(0, &i.to_string()))
            .expect("doc")
            .expect("edit");
        while let Some((_, f)) = a.poll_frame() {
            b.set_now(now + 20);
            b.receive(&PeerId::from("a"), &f).expect("valid");
        }
        while let Some((_, f)) = b.poll_frame() {
            a.set_now(now + 40);
            a.receive(&PeerId::from("b"), &f).expect("valid");
        }
        pump(&mut a, &mut b);
    }
    let latency = a.sync_latency().expect("samples");
    assert_eq!(latency.samples, 21);
    assert_eq!((latency.p50_ms, latency.p95_ms), (40, 40));
    let ab = a.peer_stats(&PeerId::from("b")).expect("connected");
    let ba = b.peer_stats(&PeerId::from("a")).expect("connected");
    assert_eq!(
        (ab.frames_sent, ab.bytes_sent),
        (ba.frames_received, ba.bytes_received)
    );
    assert_eq!(
        (ab.frames_received, ab.bytes_received),
        (ba.frames_sent, ba.bytes_sent)
    );
    assert!(ab.bytes_sent > 0 && ab.refused == 0);
    assert_eq!(a.stats().bytes_sent, ab.bytes_sent);
}
