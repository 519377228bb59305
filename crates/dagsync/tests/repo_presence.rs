//! Presence through the repo (issue 11) and sharing documents with some peers only (issue 12):
//! presence reaches peers further along a line, changes travel as they happen, leavers and
//! silent peers go, forged presence is a fault; unshared documents never travel.

use dagsync::auth::Identity;
use dagsync::presence::{Presence, PresenceConfig};
use dagsync::repo::{DocId, MemoryStorage, PeerFault, PeerId, Repo, RepoConfig, RepoEvent};
use dagsync::Value;

#[path = "common/repos.rs"]
mod repos;
use repos::{pump, text};

fn identity(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

fn presence_config() -> PresenceConfig {
    PresenceConfig {
        throttle_ms: 50,
        timeout_ms: 3_000,
        full_every: 10,
    }
}

fn signed_repo(n: u8) -> Repo {
    let mut repo = Repo::with_identity(
        identity(n),
        Box::new(MemoryStorage::new()),
        RepoConfig::default(),
    )
    .expect("memory storage");
    repo.set_presence_config(presence_config());
    repo
}

fn name(who: &str) -> Value {
    Value::Object([("name".to_owned(), Value::from(who))].into())
}

fn events(repo: &mut Repo) -> Vec<RepoEvent> {
    std::iter::from_fn(|| repo.poll_event()).collect()
}

/// Three repos in a line a – b – c (b calls its peers "a" and "c"; both call b "b"), with a
/// simulated clock.
struct Line {
    repos: [Repo; 3],
    now: u64,
}

impl Line {
    fn new(doc: DocId) -> Line {
        let mut repos = [signed_repo(1), signed_repo(2), signed_repo(3)];
        for r in &mut repos {
            r.create_with_id(doc).expect("create");
        }
        let [a, b, c] = &mut repos;
        a.connect(PeerId::from("b")).expect("connect");
        b.connect(PeerId::from("a")).expect("connect");
        b.connect(PeerId::from("c")).expect("connect");
        c.connect(PeerId::from("b")).expect("connect");
        Line { repos, now: 0 }
    }

    /// Advances the clock by `ms`, ticks the repos in `ticking`, delivers every frame (c's
    /// are dropped unless c ticks: it is silent then).
    fn step(&mut self, ms: u64, ticking: &[usize]) {
        self.now += ms;
        for &i in ticking {
            self.repos[i].tick(self.now).expect("tick");
        }
        let [a, b, c] = &mut self.repos;
        loop {
            let mut moved = false;
            while let Some((_, f)) = a.poll_frame() {
                b.receive(&PeerId::from("a"), &f).expect("valid");
                moved = true;
            }
            while let Some((to, f)) = b.poll_frame() {
                let target = if to.0 == "a" { &mut *a } else { &mut *c };
                target.receive(&PeerId::from("b"), &f).expect("valid");
                moved = true;
            }
            while let Some((_, f)) = c.poll_frame() {
                if ticking.contains(&2) {
                    b.receive(&PeerId::from("c"), &f).expect("valid");
                    moved = true;
                }
            }
            if !moved {
                return;
            }
        }
    }
}

#[test]
fn presence_travels_along_a_line_changes_and_goes() {
    let x = DocId([5; 16]);
    let mut line = Line::new(x);
    let all = [0, 1, 2];
    let (ada, cy) = (identity(1).actor(), identity(3).actor());
    line.repos[0]
        .set_presence(&x, name("Ada"))
        .expect("identity");
    line.step(10, &all);
    assert_eq!(line.repos[2].presence(&x).get(&ada), Some(&name("Ada")));
    assert!(events(&mut line.repos[2]).contains(&RepoEvent::PresenceChanged { doc: x, actor: ada }));
    line.repos[2]
        .set_presence(&x, name("Cy"))
        .expect("identity");
    line.step(100, &all);
    assert_eq!(line.repos[0].presence(&x).get(&cy), Some(&name("Cy")));
    assert_eq!(line.repos[0].presence(&x).len(), 1, "b published nothing");
    // A change arrives after the throttle interval.
    line.repos[0]
        .set_presence(&x, name("Ada L."))
        .expect("identity");
    line.step(100, &all);
    assert_eq!(line.repos[2].presence(&x).get(&ada), Some(&name("Ada L.")));
    // Heartbeats keep everyone present well past the timeout.
    for _ in 0..10 {
        line.step(500, &all);
    }
    assert_eq!(line.repos[2].presence(&x).len(), 1);
    assert_eq!(line.repos[0].presence(&x).len(), 1);
    // A leaver goes at once.
    line.repos[0].leave_presence(&x).expect("leave");
    line.step(100, &all);
    assert!(line.repos[2].presence(&x).is_empty());
    assert!(events(&mut line.repos[2]).contains(&RepoEvent::PresenceGone { doc: x, actor: ada }));
    // c goes silent: the others forget it after the timeout.
    for _ in 0..8 {
        line.step(500, &[0, 1]);
    }
    assert!(line.repos[0].presence(&x).is_empty());
    assert!(line.repos[1].presence(&x).is_empty());
}

#[test]
fn presence_in_someone_elses_name_is_a_fault() {
    let x = DocId([6; 16]);
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    a.create_with_id(x).expect("create");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    // b signs a presence message, then claims it is actor 3's by rewriting the sender.
    let mut mallory = Presence::new(&identity(2), presence_config());
    mallory.set(name("not b"));
    let mut message = mallory.poll_message(0).expect("first state");
    message[5..37].copy_from_slice(&identity(3).actor().0);
    let mut repo_message = vec![0xD7, 1, 5];
    repo_message.extend_from_slice(&x.0);
    repo_message.extend_from_slice(&message);
    let frame = dagsync::sync::split_frames(&repo_message, 99, 1 << 16).remove(0);
    assert!(a.receive(&PeerId::from("b"), &frame).is_err());
    assert!(a.presence(&x).is_empty());
    assert!(events(&mut a).iter().any(|e| matches!(
        e,
        RepoEvent::Fault {
            fault: PeerFault::BadPresence(_),
            ..
        }
    )));
}

#[test]
fn documents_travel_only_to_the_peers_they_are_shared_with() {
    let (mut a, mut b) = (signed_repo(1), signed_repo(2));
    let public = DocId([1; 16]);
    let private = DocId([2; 16]);
    for id in [public, private] {
        a.create_with_id(id).expect("create");
        a.change(&id, |d| d.get_text("t").insert(0, "secret?"))
            .expect("doc")
            .expect("edit");
    }
    a.set_share_policy(Box::new(move |_, id| *id == public))
        .expect("policy");
    a.connect(PeerId::from("b")).expect("connect");
    b.connect(PeerId::from("a")).expect("connect");
    pump(&mut a, &mut b);
    assert_eq!(b.doc_ids(), vec![public]);
    assert_eq!(text(&mut b, &public), "secret?");
    // b offers a document of its own under the private id: a ignores it, unchanged.
    b.create_with_id(private).expect("create");
    b.change(&private, |d| d.get_text("t").insert(0, "from b"))
        .expect("doc")
        .expect("edit");
    pump(&mut a, &mut b);
    assert_eq!(text(&mut a, &private), "secret?");
    // Presence in the private document stays home too.
    a.set_presence(&private, name("Ada")).expect("identity");
    a.tick(1_000).expect("tick");
    pump(&mut a, &mut b);
    assert!(b.presence(&private).is_empty());
    // Sharing it later offers it at once; then it syncs both ways.
    a.set_share_policy(Box::new(|_, _| true)).expect("policy");
    pump(&mut a, &mut b);
    assert_eq!(text(&mut a, &private), text(&mut b, &private));
    assert!(text(&mut a, &private).contains("secret?"));
    assert!(text(&mut a, &private).contains("from b"));
}
