//! Restricted documents: the creator is admin, admins grant and revoke, and a change is valid
//! only if its author may write in the permission state of its causal past. Every replica
//! refuses the same changes whatever the order they arrive in.

use dagsync::auth::{Role, ACL_ROOT};
use dagsync::{ApplyError, Change, Doc, DocError, Identity, NewItem, Op, OpAction, Value};

fn id(n: u8) -> Identity {
    Identity::from_secret_key([n; 32])
}

/// A replica of the restricted document `genesis` for identity `n`, with `changes` applied.
fn replica(n: u8, genesis: dagsync::ChangeHash, changes: &[Change]) -> Doc {
    let mut doc = Doc::with_identity(id(n));
    doc.restricted_to(genesis).expect("empty");
    doc.apply_changes(changes.to_vec()).expect("valid history");
    doc
}

fn all(doc: &mut Doc) -> Vec<Change> {
    doc.changes_since(&Default::default())
}

fn new_since(doc: &mut Doc, f: impl FnOnce(&mut Doc)) -> Vec<Change> {
    let before = doc.version().clone();
    f(doc);
    doc.commit(Some("edit"));
    doc.changes_since(&before)
}

fn type_text(doc: &mut Doc, text: &str) -> Result<(), DocError> {
    let len = doc.get_text("t").len();
    doc.get_text("t").insert(len, text)
}

fn not_authorized(e: &ApplyError) -> bool {
    matches!(e, ApplyError::NotAuthorized { .. })
}

#[test]
fn the_creator_is_admin_and_grants_writers() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    assert_eq!(owner.genesis(), Some(genesis));
    assert_eq!(owner.role(&id(1).actor()), Some(Role::Admin));
    assert_eq!(owner.role(&id(2).actor()), None);
    type_text(&mut owner, "owner ").expect("admins write");
    owner
        .grant(&id(2).actor(), Role::Writer)
        .expect("admin grants");
    assert_eq!(owner.role(&id(2).actor()), Some(Role::Writer));

    let mut writer = replica(2, genesis, &all(&mut owner));
    assert_eq!(writer.role(&id(2).actor()), Some(Role::Writer));
    let edit = new_since(&mut writer, |d| {
        type_text(d, "writer").expect("writers write")
    });
    // A writer may not change the access list.
    assert_eq!(
        writer.grant(&id(3).actor(), Role::Writer),
        Err(DocError::NotAuthorized)
    );
    owner
        .apply_changes(edit)
        .expect("a writer's change is valid");
    assert_eq!(owner.get_text("t").to_string(), "owner writer");
}

#[test]
fn strangers_are_refused_locally_and_remotely() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    type_text(&mut owner, "hi").expect("write");
    let history = all(&mut owner);
    let mut stranger = replica(3, genesis, &history);
    assert_eq!(type_text(&mut stranger, "x"), Err(DocError::NotAuthorized));
    // Nor can anyone write the access list directly.
    assert_eq!(
        owner
            .get_map(ACL_ROOT)
            .set("x", Value::Str("admin".into()))
            .map(|_| ()),
        Err(DocError::Reserved)
    );
    // The stranger's change, made by an unrestricted fork of the same history.
    let mut rogue = Doc::with_identity(id(3));
    rogue
        .apply_changes(history.clone())
        .expect_err("ACL ops in an unrestricted doc");
    let mut rogue = replica(3, genesis, &history);
    let forged = forge_text_change(&mut rogue, &mut owner);
    let before = (owner.to_json(), owner.heads());
    let e = owner.apply_changes([forged]).expect_err("refused");
    assert!(not_authorized(&e), "{e}");
    assert_eq!((owner.to_json(), owner.heads()), before);
}

/// A text insert by `rogue`'s actor on top of `target`'s heads, built by hand (its own
/// document refuses to make it): a genuine change of the target, re-authored and signed.
fn forge_text_change(rogue: &mut Doc, target: &mut Doc) -> Change {
    let mut change = all(target).pop().expect("a change");
    change.actor = rogue.actor();
    change.seq = 1;
    change.deps = target.heads();
    change.start_op = 1_000;
    change.ops.retain(|op| !is_acl(op));
    change.signature = Some(rogue.identity().expect("identity").sign(&change.hash()));
    change
}

fn is_acl(op: &Op) -> bool {
    matches!(&op.container, dagsync::ContainerId::Root { name, .. } if name == ACL_ROOT)
}

#[test]
fn a_revoked_writer_keeps_concurrent_changes_but_not_later_ones() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    owner.grant(&id(2).actor(), Role::Writer).expect("grant");
    let mut writer = replica(2, genesis, &all(&mut owner));
    // Concurrently: the owner revokes, the writer edits (not having seen the revocation).
    owner.revoke(&id(2).actor()).expect("revoke");
    let concurrent = new_since(&mut writer, |d| type_text(d, "before ").expect("write"));
    owner
        .apply_changes(concurrent.clone())
        .expect("concurrent with the revocation: valid");
    assert_eq!(owner.get_text("t").to_string(), "before ");
    // The writer receives the revocation: its document refuses further edits...
    writer.apply_changes(all(&mut owner)).expect("sync");
    assert_eq!(writer.role(&id(2).actor()), None);
    assert_eq!(
        type_text(&mut writer, "after"),
        Err(DocError::NotAuthorized)
    );
    // ...and a change made after seeing it anyway (by hand) is refused by everyone.
    let mut later = concurrent[0].clone();
    later.seq += 1;
    later.deps = writer.heads();
    later.start_op += 10_000;
    later.signature = Some(id(2).sign(&later.hash()));
    let e = owner.apply_changes([later.clone()]).expect_err("refused");
    assert!(not_authorized(&e), "{e}");
    let mut third = replica(4, genesis, &all(&mut owner));
    let e = third.apply_changes([later]).expect_err("refused");
    assert!(not_authorized(&e), "{e}");
}

#[test]
fn concurrent_grant_and_revoke_resolve_to_the_revoke_everywhere() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    owner
        .grant(&id(2).actor(), Role::Admin)
        .expect("second admin");
    let mut admin2 = replica(2, genesis, &all(&mut owner));
    // Concurrently: owner grants writer to 3, admin2 revokes 3 (never granted: a delete of
    // nothing is no op, so grant first and sync).
    owner.grant(&id(3).actor(), Role::Writer).expect("grant");
    admin2.apply_changes(all(&mut owner)).expect("sync");
    let regrant = {
        let before = owner.version().clone();
        owner.grant(&id(3).actor(), Role::Admin).expect("upgrade");
        owner.changes_since(&before)
    };
    let revoke = {
        let before = admin2.version().clone();
        admin2.revoke(&id(3).actor()).expect("revoke");
        admin2.changes_since(&before)
    };
    owner.apply_changes(revoke.clone()).expect("valid");
    admin2.apply_changes(regrant.clone()).expect("valid");
    assert_eq!(owner.role(&id(3).actor()), None, "the revoke wins");
    assert_eq!(admin2.role(&id(3).actor()), None);
    assert_eq!(owner.heads(), admin2.heads());
}

#[test]
fn a_second_root_and_unrestricted_acl_writes_are_refused() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    // Mallory restricts her own document and sends its genesis as if it belonged here.
    let mut mallory = Doc::with_identity(id(5));
    mallory.restrict().expect("her own document");
    let her_root = all(&mut mallory);
    let e = owner
        .apply_changes(her_root.clone())
        .expect_err("not this document");
    assert!(not_authorized(&e), "{e}");
    // An unrestricted document refuses access-list writes.
    let mut open = Doc::with_identity(id(6));
    let e = open.apply_changes(her_root).expect_err("unrestricted");
    assert!(not_authorized(&e), "{e}");
    assert_eq!(owner.genesis(), Some(genesis));
}

#[test]
fn a_restricted_snapshot_reloads_restricted() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    owner.grant(&id(2).actor(), Role::Writer).expect("grant");
    type_text(&mut owner, "saved").expect("write");
    let mut loaded = Doc::load(&owner.save(), id(3).actor()).expect("loads");
    assert_eq!(loaded.genesis(), Some(genesis));
    assert_eq!(loaded.role(&id(2).actor()), Some(Role::Writer));
    assert_eq!(loaded.role(&id(3).actor()), None);
    assert_eq!(type_text(&mut loaded, "!"), Err(DocError::NotAuthorized));
    assert_eq!(loaded.get_text("t").to_string(), "saved");
}

#[test]
fn an_acl_entry_must_name_an_actor_and_a_role() {
    let mut owner = Doc::with_identity(id(1));
    let genesis = owner.restrict().expect("new document");
    let base = all(&mut owner);
    let mut bad = base[0].clone();
    // Re-author the genesis with a bogus role: refused (as the genesis, by its creator).
    if let OpAction::MapSet { value, .. } = &mut bad.ops[0].action {
        *value = NewItem::Value(Value::Str("owner".into()));
    }
    bad.signature = Some(id(1).sign(&bad.hash()));
    let mut other = Doc::with_identity(id(2));
    other.restricted_to(bad.hash()).expect("empty");
    let e = other.apply_changes([bad]).expect_err("refused");
    assert!(not_authorized(&e), "{e}");
    assert_ne!(genesis, dagsync::ChangeHash([0; 32]));
}

/// Random histories with grants, revokes, edits, forged changes and shuffled one-by-one
/// delivery: once everyone has everything, all replicas agree, and no forged change applied.
#[test]
fn replicas_agree_on_the_valid_history_in_any_delivery_order() {
    use dagsync_fuzz::Rng;
    let (mut refused_locally, mut applied) = (0, 0);
    for seed in 0..20u64 {
        let mut rng = Rng::new(seed);
        let mut owner = Doc::with_identity(id(1));
        let genesis = owner.restrict().expect("new document");
        owner.grant(&id(2).actor(), Role::Writer).expect("grant");
        owner.grant(&id(3).actor(), Role::Admin).expect("grant");
        let mut docs = vec![owner];
        let history = all(&mut docs[0]);
        for n in 2..=4 {
            docs.push(replica(n, genesis, &history));
        }
        let mut forged: Vec<Change> = Vec::new();
        for _ in 0..60 {
            let a = rng.below(docs.len() as u64) as usize;
            match rng.below(6) {
                0 | 1 => {
                    // Edits: refused locally for actors without write access.
                    if type_text(&mut docs[a], "x").is_err() {
                        refused_locally += 1;
                    }
                    docs[a].commit(Some("edit"));
                }
                2 => {
                    let who = id(2 + rng.below(3) as u8).actor();
                    let role = if rng.below(2) == 0 {
                        Role::Writer
                    } else {
                        Role::Admin
                    };
                    let _ = if rng.below(3) == 0 {
                        docs[a].revoke(&who)
                    } else {
                        docs[a].grant(&who, role)
                    };
                }
                3 => {
                    // A stranger (never granted anything) builds a change by hand.
                    let mut target = docs[a].fork(id(9).actor());
                    let mut rogue = Doc::with_identity(id(10 + forged.len() as u8));
                    forged.push(forge_text_change(&mut rogue, &mut target));
                }
                _ => {
                    // Deliver everything a has to b, one change at a time, shuffled.
                    let b = rng.below(docs.len() as u64) as usize;
                    let mut changes = all(&mut docs[a]);
                    rng.shuffle(&mut changes);
                    for c in changes {
                        let _ = docs[b].apply_changes([c]);
                    }
                }
            }
        }
        // Forged changes reach random replicas; then everyone syncs with everyone.
        for c in &forged {
            let b = rng.below(docs.len() as u64) as usize;
            let _ = docs[b].apply_changes([c.clone()]);
        }
        for _ in 0..3 {
            for a in 0..docs.len() {
                for b in 0..docs.len() {
                    if a != b {
                        let changes = all(&mut docs[a]);
                        let _ = docs[b].apply_changes(changes);
                    }
                }
            }
        }
        let heads = docs[0].heads();
        let json = docs[0].to_json();
        for (i, doc) in docs.iter_mut().enumerate() {
            assert_eq!(doc.heads(), heads, "seed {seed}, replica {i}");
            assert_eq!(doc.to_json(), json, "seed {seed}, replica {i}");
        }
        let hashes: std::collections::HashSet<_> =
            all(&mut docs[0]).iter().map(Change::hash).collect();
        for c in &forged {
            assert!(
                !hashes.contains(&c.hash()),
                "seed {seed}: a forged change applied"
            );
        }
        applied += hashes.len();
    }
    // The scenarios exercise both sides of the rules.
    assert!(
        refused_locally > 20,
        "{refused_locally} local edits refused"
    );
    assert!(applied > 300, "{applied} changes applied");
}
