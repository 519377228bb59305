//! Collections on documents: records as maps in a document, field-level merges, deletes,
//! queries equal on every replica and to a naive scan, live queries kept up to date from
//! document events.

mod common;
use common::obj;

use std::cell::RefCell;
use std::rc::Rc;

use dagsync::query::{Collection, Path, Query};
use dagsync::{ActorId, Doc, Event, Value};
use dagsync_fuzz::Rng;

fn query(where_: Value, sort: &[&str]) -> Query {
    let sort = Value::Array(sort.iter().map(|s| Value::Str(s.to_string())).collect());
    Query::parse(&obj(&[("where", where_), ("sort", sort)])).expect("valid")
}

/// A replica: a document, its collection, and the events it saw.
struct Replica {
    doc: Doc,
    todos: Collection,
    events: Rc<RefCell<Vec<Event>>>,
}

impl Replica {
    fn new(n: u8, base: Option<&mut Doc>) -> Replica {
        let mut doc = match base {
            Some(base) => base.fork(ActorId([n; 32])),
            None => Doc::new(ActorId([n; 32])),
        };
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        doc.subscribe(move |e| sink.borrow_mut().push(e.clone()));
        let mut todos = Collection::open(&mut doc, "todos");
        todos
            .add_index(&mut doc, Path::parse("done").expect("path"))
            .expect("index");
        doc.commit(None);
        Replica { doc, todos, events }
    }

    /// Feeds the collection the events since last time.
    fn catch_up(&mut self) {
        let events: Vec<Event> = self.events.borrow_mut().drain(..).collect();
        for e in &events {
            self.todos.apply_event(&mut self.doc, e);
        }
    }
}

fn sync(a: &mut Replica, b: &mut Replica) {
    let to_b = a.doc.changes_since(b.doc.version());
    let to_a = b.doc.changes_since(a.doc.version());
    b.doc.apply_changes(to_b).expect("apply");
    a.doc.apply_changes(to_a).expect("apply");
    a.catch_up();
    b.catch_up();
}

#[test]
fn concurrent_updates_of_different_fields_both_survive() {
    let mut a = Replica::new(1, None);
    a.todos
        .insert_with_id(
            &mut a.doc,
            "t1",
            &obj(&[("title", "milk".into()), ("done", false.into())]),
        )
        .expect("insert");
    a.doc.commit(None);
    let mut b = Replica::new(2, Some(&mut a.doc));
    a.todos
        .update(&mut a.doc, "t1", &obj(&[("done", true.into())]))
        .expect("update");
    a.doc.commit(None);
    b.todos
        .update(&mut b.doc, "t1", &obj(&[("title", "oat milk".into())]))
        .expect("update");
    b.doc.commit(None);
    sync(&mut a, &mut b);
    let want = obj(&[("done", true.into()), ("title", "oat milk".into())]);
    assert_eq!(a.todos.get("t1"), Some(&want));
    assert_eq!(b.todos.get("t1"), Some(&want));
    a.todos.delete(&mut a.doc, "t1").expect("delete");
    a.doc.commit(None);
    sync(&mut a, &mut b);
    assert!(b.todos.get("t1").is_none());
    assert!(b.todos.update(&mut b.doc, "t1", &obj(&[])).is_err());
}

#[test]
fn live_queries_follow_local_and_remote_changes() {
    let mut a = Replica::new(1, None);
    let mut b = Replica::new(2, Some(&mut a.doc));
    let open = query(obj(&[("done", false.into())]), &["-priority"]);
    let (watch, initial) = b.todos.watch(open.clone());
    assert!(initial.is_empty());
    for (id, prio) in [("x", 1i64), ("y", 5), ("z", 3)] {
        a.todos
            .insert_with_id(
                &mut a.doc,
                id,
                &obj(&[("done", false.into()), ("priority", Value::I64(prio))]),
            )
            .expect("insert");
    }
    a.doc.commit(None);
    sync(&mut a, &mut b);
    let updates = b.todos.take_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].watch, watch);
    assert_eq!(updates[0].ids, ["y", "z", "x"]);
    // A local update on b moves a record out of the results.
    b.todos
        .update(&mut b.doc, "y", &obj(&[("done", true.into())]))
        .expect("update");
    assert_eq!(b.todos.take_updates()[0].ids, ["z", "x"]);
    assert!(b.todos.take_updates().is_empty(), "reported once");
    // New contents of a record in the results are reported, with the same ids; an update
    // that changes nothing, and a record outside the results, are not.
    b.todos
        .update(&mut b.doc, "z", &obj(&[("title", "new".into())]))
        .expect("update");
    assert_eq!(b.todos.take_updates()[0].ids, ["z", "x"]);
    b.todos
        .update(&mut b.doc, "z", &obj(&[("title", "new".into())]))
        .expect("update");
    b.todos
        .update(&mut b.doc, "y", &obj(&[("title", "hidden".into())]))
        .expect("update");
    assert!(
        b.todos.take_updates().is_empty(),
        "nothing new in the results"
    );
    // The results equal a fresh query.
    let fresh: Vec<String> = b
        .todos
        .find(&open)
        .into_iter()
        .map(|(id, _)| id.to_owned())
        .collect();
    assert_eq!(fresh, ["z", "x"]);
    assert_eq!(b.todos.explain(&open).index.as_deref(), Some("done"));
}

/// Random inserts, updates and deletes on three replicas with random syncs: once everyone
/// has everything, every replica answers every query the same, equal to a scan of the
/// document's JSON, and live queries equal fresh queries.
#[test]
fn replicas_answer_queries_alike_and_like_a_naive_scan() {
    for seed in 0..30u64 {
        let mut rng = Rng::new(seed);
        let mut first = Replica::new(1, None);
        let mut replicas = vec![
            Replica::new(2, Some(&mut first.doc)),
            Replica::new(3, Some(&mut first.doc)),
        ];
        replicas.insert(0, first);
        let watch_query = query(obj(&[("done", false.into())]), &["prio", "-title"]);
        // Each replica's live query, and the results it last reported.
        let mut live: Vec<Vec<String>> = replicas
            .iter_mut()
            .map(|r| r.todos.watch(watch_query.clone()).1)
            .collect();
        let collect = |replicas: &mut Vec<Replica>, live: &mut Vec<Vec<String>>| {
            for (r, latest) in replicas.iter_mut().zip(live.iter_mut()) {
                for update in r.todos.take_updates() {
                    *latest = update.ids;
                }
            }
        };
        for step in 0..80 {
            let r = rng.below(3) as usize;
            let id = format!("r{}", rng.below(12));
            let rep = &mut replicas[r];
            let fields = obj(&[
                ("done", Value::Bool(rng.below(2) == 0)),
                ("prio", Value::I64(rng.below(4) as i64)),
                ("title", Value::Str(format!("t{}", rng.below(5)))),
            ]);
            let _ = match rng.below(4) {
                0 => rep.todos.insert_with_id(&mut rep.doc, &id, &fields),
                1 => rep.todos.delete(&mut rep.doc, &id),
                _ => rep.todos.update(&mut rep.doc, &id, &fields),
            };
            rep.doc.commit(None);
            rep.catch_up();
            collect(&mut replicas, &mut live);
            if step % 7 == 0 {
                let (i, j) = (rng.below(3) as usize, rng.below(3) as usize);
                if i != j {
                    let (a, b) = if i < j {
                        let (l, r) = replicas.split_at_mut(j);
                        (&mut l[i], &mut r[0])
                    } else {
                        let (l, r) = replicas.split_at_mut(i);
                        (&mut r[0], &mut l[j])
                    };
                    sync(a, b);
                }
                collect(&mut replicas, &mut live);
            }
        }
        for _ in 0..2 {
            for i in 0..3 {
                for j in 0..3 {
                    if i < j {
                        let (l, r) = replicas.split_at_mut(j);
                        sync(&mut l[i], &mut r[0]);
                    }
                }
            }
        }
        let queries = [
            query(obj(&[]), &["title"]),
            query(obj(&[("done", true.into())]), &["-prio"]),
            query(obj(&[("prio", obj(&[("$gte", Value::I64(2))]))]), &[]),
            query(
                obj(&[(
                    "title",
                    obj(&[("$in", Value::Array(vec!["t1".into(), "t3".into()]))]),
                )]),
                &["prio"],
            ),
        ];
        for q in &queries {
            let answers: Vec<Vec<(String, Value)>> = replicas
                .iter()
                .map(|r| {
                    r.todos
                        .find(q)
                        .into_iter()
                        .map(|(id, v)| (id.to_owned(), v.clone()))
                        .collect()
                })
                .collect();
            assert_eq!(answers[0], answers[1], "seed {seed}");
            assert_eq!(answers[0], answers[2], "seed {seed}");
            // A naive scan of the document's JSON.
            let json = replicas[0].doc.get_map("todos").to_json();
            let mut naive = dagsync::query::RecordSet::new();
            if let Value::Object(records) = json {
                for (id, record) in records {
                    naive.upsert(&id, record);
                }
            }
            let naive: Vec<(String, Value)> = naive
                .find(q)
                .into_iter()
                .map(|(id, v)| (id.to_owned(), v.clone()))
                .collect();
            assert_eq!(answers[0], naive, "seed {seed}");
        }
        collect(&mut replicas, &mut live);
        for (r, latest) in replicas.iter().zip(&live) {
            let fresh: Vec<String> = r
                .todos
                .find(&watch_query)
                .into_iter()
                .map(|(id, _)| id.to_owned())
                .collect();
            assert_eq!(
                latest, &fresh,
                "seed {seed}: the live results are a fresh query's"
            );
        }
    }
}

#[test]
fn declared_indexes_persist_with_the_document_and_reach_other_replicas() {
    let mut a = Replica::new(1, None);
    let mut b = Replica::new(2, Some(&mut a.doc));
    let priority = Path::parse("priority").expect("path");
    a.todos
        .insert(&mut a.doc, &obj(&[("priority", Value::I64(2))]))
        .expect("insert");
    a.todos
        .add_index(&mut a.doc, priority.clone())
        .expect("index");
    a.doc.commit(None);
    assert!(!b.todos.indexes().contains(&priority));
    sync(&mut a, &mut b);
    // The other replica builds the index it learnt of.
    assert!(
        b.todos.indexes().contains(&priority),
        "{:?}",
        b.todos.indexes()
    );
    let query = query(obj(&[("priority", Value::I64(2))]), &[]);
    assert_eq!(b.todos.explain(&query).index.as_deref(), Some("priority"));
    assert_eq!(b.todos.find(&query).len(), 1);
    // A reload builds every declared index without declaring it again.
    let mut loaded = Doc::load(&a.doc.save(), ActorId([9; 32])).expect("load");
    let reopened = Collection::open(&mut loaded, "todos");
    let mut indexes = reopened.indexes();
    indexes.sort();
    assert_eq!(indexes, vec![Path::parse("done").expect("path"), priority]);
    assert_eq!(reopened.explain(&query).index.as_deref(), Some("priority"));
    assert_eq!(reopened.find(&query).len(), 1);
}
