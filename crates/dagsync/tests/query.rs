//! Queries over records: parsing with clear errors, semantics, and index-backed answers equal
//! to a naive scan for random records, updates and queries.

mod common;
use common::obj;

use std::collections::BTreeMap;

use dagsync::query::{Path, Query, RecordSet};
use dagsync::Value;
use dagsync_fuzz::Rng;

fn s(x: &str) -> Value {
    Value::Str(x.to_owned())
}

fn q(where_: Value, sort: &[&str], limit: Option<i64>, offset: i64) -> Value {
    let mut parts = vec![("where", where_), ("offset", Value::I64(offset))];
    if !sort.is_empty() {
        parts.push(("sort", Value::Array(sort.iter().map(|k| s(k)).collect())));
    }
    if let Some(l) = limit {
        parts.push(("limit", Value::I64(l)));
    }
    obj(&parts)
}

#[test]
fn bad_queries_say_where_and_why() {
    let cases = [
        (s("done"), "query"),
        (obj(&[("select", Value::Null)]), "select"),
        (obj(&[("where", Value::I64(1))]), "where"),
        (
            obj(&[("where", obj(&[("$nor", Value::Array(vec![]))]))]),
            "$nor",
        ),
        (
            obj(&[("where", obj(&[("a", obj(&[("$gtt", Value::I64(1))]))]))]),
            "a.$gtt",
        ),
        (
            obj(&[("where", obj(&[("a", obj(&[("$in", Value::I64(1))]))]))]),
            "a.$in",
        ),
        (
            obj(&[("where", obj(&[("a", obj(&[("$exists", Value::I64(1))]))]))]),
            "a.$exists",
        ),
        (obj(&[("where", obj(&[("a..b", Value::I64(1))]))]), "a..b"),
        (
            obj(&[("where", obj(&[("$or", Value::Array(vec![]))]))]),
            "$or",
        ),
        (obj(&[("limit", Value::I64(-1))]), "limit"),
        (obj(&[("sort", Value::Array(vec![Value::I64(1)]))]), "sort"),
    ];
    for (query, at) in cases {
        let e = Query::parse(&query).expect_err("refused");
        assert_eq!(e.at, at, "{e}");
        assert!(!e.why.is_empty());
    }
}

fn todos() -> RecordSet {
    let mut set = RecordSet::new();
    let rows = [
        ("t1", false, 3, "Buy milk", Some("ann")),
        ("t2", true, 1, "Call bob", Some("bob")),
        ("t3", false, 2, "Book flights", None),
        ("t4", false, 5, "Answer mail", Some("alice")),
    ];
    for (id, done, prio, title, owner) in rows {
        let mut fields = vec![
            ("done", Value::Bool(done)),
            ("priority", Value::I64(prio)),
            ("title", s(title)),
        ];
        if let Some(o) = owner {
            fields.push(("owner", obj(&[("name", s(o))])));
        }
        set.upsert(id, obj(&fields));
    }
    set
}

fn ids(set: &RecordSet, query: &Value) -> Vec<String> {
    let query = Query::parse(query).expect("valid");
    set.find(&query)
        .into_iter()
        .map(|(id, _)| id.to_owned())
        .collect()
}

#[test]
fn filters_sorting_and_paging() {
    let mut set = todos();
    let open_by_priority = q(
        obj(&[("done", Value::Bool(false))]),
        &["-priority"],
        None,
        0,
    );
    assert_eq!(ids(&set, &open_by_priority), ["t4", "t1", "t3"]);
    let ranged = q(
        obj(&[(
            "priority",
            obj(&[("$gte", Value::F64(2.0)), ("$lt", Value::I64(5))]),
        )]),
        &["priority"],
        None,
        0,
    );
    assert_eq!(ids(&set, &ranged), ["t3", "t1"]);
    let nested = q(
        obj(&[("owner.name", obj(&[("$prefix", s("a"))]))]),
        &["title"],
        None,
        0,
    );
    assert_eq!(ids(&set, &nested), ["t4", "t1"]);
    let missing = q(
        obj(&[("owner", obj(&[("$exists", Value::Bool(false))]))]),
        &[],
        None,
        0,
    );
    assert_eq!(ids(&set, &missing), ["t3"]);
    let either = q(
        obj(&[(
            "$or",
            Value::Array(vec![
                obj(&[("done", Value::Bool(true))]),
                obj(&[(
                    "priority",
                    obj(&[("$in", Value::Array(vec![Value::I64(5), Value::I64(9)]))]),
                )]),
            ]),
        )]),
        &["title"],
        None,
        0,
    );
    assert_eq!(ids(&set, &either), ["t4", "t2"]);
    let page = q(obj(&[]), &["title"], Some(2), 1);
    assert_eq!(ids(&set, &page), ["t3", "t1"]);
    // Ranges match one kind of value only: a string priority is not "≥ 2".
    set.upsert("t5", obj(&[("priority", s("9"))]));
    assert_eq!(ids(&set, &ranged), ["t3", "t1"]);
}

#[test]
fn explain_tells_which_index_answers() {
    let mut set = todos();
    let eq = Query::parse(&q(obj(&[("done", Value::Bool(false))]), &[], None, 0)).expect("valid");
    assert_eq!(set.explain(&eq).index, None);
    assert_eq!(set.explain(&eq).access, "scan");
    set.add_index(Path::parse("done").expect("path"));
    set.add_index(Path::parse("priority").expect("path"));
    assert_eq!(set.explain(&eq).index.as_deref(), Some("done"));
    assert_eq!(set.explain(&eq).access, "eq");
    let both = Query::parse(&q(
        obj(&[
            ("done", Value::Bool(false)),
            ("priority", obj(&[("$gt", Value::I64(2))])),
        ]),
        &[],
        None,
        0,
    ))
    .expect("valid");
    assert_eq!(set.explain(&both).access, "eq", "equality beats a range");
    let range = Query::parse(&q(
        obj(&[("priority", obj(&[("$lte", Value::I64(2))]))]),
        &[],
        None,
        0,
    ))
    .expect("valid");
    assert_eq!(set.explain(&range).access, "range");
    assert_eq!(set.find(&range).len(), 2);
}

/// A random record: a few fields, sometimes missing, mixed kinds, one nested.
fn random_record(rng: &mut Rng) -> Value {
    let mut fields = BTreeMap::new();
    let scalar = |rng: &mut Rng| match rng.below(6) {
        0 => Value::I64(rng.below(10) as i64 - 3),
        1 => Value::F64(rng.below(20) as f64 / 2.0 - 3.0),
        2 => s(["ab", "abc", "b", "ba", ""][rng.below(5) as usize]),
        3 => Value::Bool(rng.below(2) == 0),
        4 => Value::Null,
        _ => Value::I64(rng.below(4) as i64),
    };
    for name in ["a", "b", "c"] {
        if rng.below(5) > 0 {
            fields.insert(name.to_owned(), scalar(rng));
        }
    }
    if rng.below(3) > 0 {
        fields.insert("n".to_owned(), obj(&[("x", scalar(rng))]));
    }
    Value::Object(fields)
}

fn random_filter(rng: &mut Rng, depth: u32) -> Value {
    let field = ["a", "b", "c", "n.x", "n"][rng.below(5) as usize];
    let scalar = match rng.below(4) {
        0 => Value::I64(rng.below(8) as i64 - 3),
        1 => Value::F64(rng.below(12) as f64 / 2.0 - 2.0),
        2 => s(["a", "ab", "b", ""][rng.below(4) as usize]),
        _ => Value::Bool(rng.below(2) == 0),
    };
    let other = match rng.below(3) {
        0 => Value::I64(rng.below(8) as i64 - 3),
        1 => Value::F64(rng.below(12) as f64 / 2.0 - 2.0),
        _ => s(["a", "ab", "b", ""][rng.below(4) as usize]),
    };
    let cond = match rng.below(14) {
        11 => obj(&[("$gte", scalar), ("$lt", other)]),
        12 => obj(&[("$gt", scalar), ("$lte", other)]),
        13 => obj(&[("$gt", scalar), ("$lt", other)]),
        0 => scalar,
        1 => obj(&[("$eq", scalar)]),
        2 => obj(&[("$ne", scalar)]),
        3 => obj(&[("$gt", scalar)]),
        4 => obj(&[("$gte", scalar)]),
        5 => obj(&[("$lt", scalar)]),
        6 => obj(&[("$lte", scalar)]),
        7 => obj(&[("$in", Value::Array(vec![scalar, Value::I64(1)]))]),
        8 => obj(&[("$nin", Value::Array(vec![scalar]))]),
        9 => obj(&[("$exists", Value::Bool(rng.below(2) == 0))]),
        _ => obj(&[("$prefix", s(["a", "ab", ""][rng.below(3) as usize]))]),
    };
    if depth < 2 && rng.below(3) == 0 {
        let op = if rng.below(2) == 0 { "$and" } else { "$or" };
        let parts = (0..1 + rng.below(3))
            .map(|_| random_filter(rng, depth + 1))
            .collect();
        obj(&[(op, Value::Array(parts)), (field, cond)])
    } else {
        obj(&[(field, cond)])
    }
}

#[test]
fn indexed_answers_equal_a_naive_scan() {
    let (mut queries, mut by_index) = (0, 0);
    for seed in 0..200u64 {
        let mut rng = Rng::new(seed);
        let mut indexed = RecordSet::new();
        for field in ["a", "b", "n.x"] {
            indexed.add_index(Path::parse(field).expect("path"));
        }
        let mut naive = RecordSet::new();
        for step in 0..120 {
            let id = format!("r{}", rng.below(40));
            if rng.below(5) == 0 {
                assert_eq!(indexed.remove(&id).is_some(), naive.remove(&id).is_some());
            } else {
                let record = random_record(&mut rng);
                indexed.upsert(&id, record.clone());
                naive.upsert(&id, record);
            }
            if step % 10 == 0 {
                let sort: Vec<&str> = (0..rng.below(3))
                    .map(|_| ["a", "-a", "b", "-n.x", "c"][rng.below(5) as usize])
                    .collect();
                let limit = (rng.below(2) == 0).then(|| rng.below(10) as i64);
                let query = q(
                    random_filter(&mut rng, 0),
                    &sort,
                    limit,
                    rng.below(4) as i64,
                );
                let parsed = Query::parse(&query).expect("valid");
                queries += 1;
                if indexed.explain(&parsed).index.is_some() {
                    by_index += 1;
                }
                let got: Vec<_> = indexed.find(&parsed);
                let want: Vec<_> = naive.find(&parsed);
                assert_eq!(got, want, "seed {seed}, step {step}, query {query:?}");
            }
        }
        // Rebuilding an index over the records gives the same answers.
        let mut rebuilt = naive.clone();
        rebuilt.add_index(Path::parse("a").expect("path"));
        let query = Query::parse(&q(
            obj(&[("a", obj(&[("$gte", Value::I64(0))]))]),
            &["a"],
            None,
            0,
        ))
        .expect("valid");
        assert_eq!(rebuilt.find(&query), naive.find(&query), "seed {seed}");
    }
    // Both paths are exercised: many queries go through an index.
    assert!(
        by_index * 4 > queries,
        "{by_index} of {queries} used an index"
    );
}
