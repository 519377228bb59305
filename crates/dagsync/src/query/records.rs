//! A set of records by id with secondary indexes, answering queries: the index-backed part
//! of the document database, independent of where the records live.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use crate::value::Value;

use super::filter::{Condition, Filter, Path};
use super::key::{class, compare, Key};
use super::{Query, SortKey};

/// A secondary index: the records by the value of one field.
#[derive(Clone, Debug, Default)]
struct Index {
    by_key: BTreeMap<Key, BTreeSet<String>>,
}

/// How a query is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The index used (its field), or `None` for a scan of every record.
    pub index: Option<String>,
    /// What the index is asked: `"eq"`, `"in"`, `"range"` or `"prefix"` (`"scan"` without).
    pub access: &'static str,
}

/// Records (values, usually objects) by id, with indexes on chosen fields.
#[derive(Clone, Debug, Default)]
pub struct RecordSet {
    records: BTreeMap<String, Value>,
    indexes: BTreeMap<Path, Index>,
}

impl RecordSet {
    /// An empty set.
    pub fn new() -> RecordSet {
        RecordSet::default()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record `id`.
    pub fn get(&self, id: &str) -> Option<&Value> {
        self.records.get(id)
    }

    /// Indexes field `path` (building the index from the records there are).
    pub fn add_index(&mut self, path: Path) {
        let mut index = Index::default();
        for (id, record) in &self.records {
            if let Some(v) = path.get(record) {
                index
                    .by_key
                    .entry(Key(v.clone()))
                    .or_default()
                    .insert(id.clone());
            }
        }
        self.indexes.insert(path, index);
    }

    /// The indexed fields.
    pub fn indexes(&self) -> Vec<Path> {
        self.indexes.keys().cloned().collect()
    }

    /// Inserts or replaces record `id`, keeping the indexes up to date.
    pub fn upsert(&mut self, id: &str, record: Value) {
        self.remove(id);
        for (path, index) in &mut self.indexes {
            if let Some(v) = path.get(&record) {
                index
                    .by_key
                    .entry(Key(v.clone()))
                    .or_default()
                    .insert(id.to_owned());
            }
        }
        self.records.insert(id.to_owned(), record);
    }

    /// Removes record `id` (returns it).
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        let old = self.records.remove(id)?;
        for (path, index) in &mut self.indexes {
            if let Some(v) = path.get(&old) {
                let key = Key(v.clone());
                if let Some(ids) = index.by_key.get_mut(&key) {
                    ids.remove(id);
                    if ids.is_empty() {
                        index.by_key.remove(&key);
                    }
                }
            }
        }
        Some(old)
    }

    /// The records matching `query`, in its order, with their ids.
    pub fn find(&self, query: &Query) -> Vec<(&str, &Value)> {
        let mut hits: Vec<(&str, &Value)> = match self.candidates(&query.filter) {
            Some((_, ids)) => ids
                .into_iter()
                .filter_map(|id| self.records.get_key_value(id))
                .map(|(id, v)| (id.as_str(), v))
                .filter(|(_, v)| query.filter.matches(v))
                .collect(),
            None => self
                .records
                .iter()
                .map(|(id, v)| (id.as_str(), v))
                .filter(|(_, v)| query.filter.matches(v))
                .collect(),
        };
        hits.sort_by(|a, b| order(&query.sort, a, b));
        let take = query.limit.unwrap_or(usize::MAX);
        hits.into_iter().skip(query.offset).take(take).collect()
    }

    /// How [`RecordSet::find`] answers `query`.
    pub fn explain(&self, query: &Query) -> Plan {
        match self.candidates(&query.filter) {
            Some((plan, _)) => plan,
            None => Plan {
                index: None,
                access: "scan",
            },
        }
    }

    /// The ids an index gives for `filter` (a superset of the matches), if one applies:
    /// conditions of the filter's top-level conjunction on an indexed field. Equality beats
    /// `in`, then a prefix, then a range closed on both sides, then an open range; the range
    /// conditions on one field combine into one scan.
    fn candidates(&self, filter: &Filter) -> Option<(Plan, BTreeSet<&str>)> {
        let conjuncts: Vec<&Filter> = match filter {
            Filter::And(parts) => parts.iter().collect(),
            other => vec![other],
        };
        let mut by_path: BTreeMap<&Path, Vec<&Condition>> = BTreeMap::new();
        for f in conjuncts {
            if let Filter::Field(path, c) = f {
                if self.indexes.contains_key(path) {
                    by_path.entry(path).or_default().push(c);
                }
            }
        }
        let best = by_path
            .iter()
            .filter_map(|(path, conditions)| {
                let access = Access::of(conditions)?;
                Some((access.rank(), *path, access))
            })
            .min_by_key(|(rank, ..)| *rank)?;
        let (_, path, access) = best;
        let index = self.indexes.get(path)?;
        let (name, ids) = match access {
            Access::Eq(x) => (
                "eq",
                ids_of(index.by_key.get_key_value(&Key(x.clone())).into_iter()),
            ),
            Access::In(xs) => (
                "in",
                ids_of(
                    xs.iter()
                        .filter_map(|x| index.by_key.get_key_value(&Key(x.clone()))),
                ),
            ),
            Access::Prefix(p) => {
                let start = Key(Value::Str(p.to_owned()));
                let keys = index
                    .by_key
                    .range(start..)
                    .take_while(|(k, _)| matches!(&k.0, Value::Str(s) if s.starts_with(p)));
                ("prefix", ids_of(keys))
            }
            Access::Range {
                lower,
                upper,
                class: c,
            } => {
                let keys = index
                    .by_key
                    .range((lower, upper))
                    .skip_while(|(k, _)| class(&k.0) < c)
                    .take_while(|(k, _)| class(&k.0) == c);
                ("range", ids_of(keys))
            }
        };
        let plan = Plan {
            index: Some(path.to_string()),
            access: name,
        };
        Some((plan, ids))
    }
}

/// How one indexed field's conditions read the index.
enum Access<'a> {
    Eq(&'a Value),
    In(&'a [Value]),
    Prefix(&'a str),
    /// Keys between the bounds, of one kind of value only.
    Range {
        lower: Bound<Key>,
        upper: Bound<Key>,
        class: u8,
    },
}

impl<'a> Access<'a> {
    fn rank(&self) -> u8 {
        match self {
            Access::Eq(_) => 0,
            Access::In(_) => 1,
            Access::Prefix(_) => 2,
            Access::Range { lower, upper, .. } => {
                if matches!(lower, Bound::Unbounded) || matches!(upper, Bound::Unbounded) {
                    4
                } else {
                    3
                }
            }
        }
    }

    /// The best access for a field's conditions, if any can use the index.
    fn of(conditions: &[&'a Condition]) -> Option<Access<'a>> {
        for c in conditions {
            if let Condition::Eq(x) = c {
                return Some(Access::Eq(x));
            }
        }
        for c in conditions {
            if let Condition::In(xs) = c {
                return Some(Access::In(xs));
            }
        }
        for c in conditions {
            if let Condition::Prefix(p) = c {
                return Some(Access::Prefix(p));
            }
        }
        // Ranges: the tightest bounds of the first kind of value named.
        let mut kind: Option<u8> = None;
        let (mut lower, mut upper) = (Bound::Unbounded, Bound::Unbounded);
        for c in conditions {
            let (x, is_lower, inclusive) = match c {
                Condition::Gt(x) => (x, true, false),
                Condition::Gte(x) => (x, true, true),
                Condition::Lt(x) => (x, false, false),
                Condition::Lte(x) => (x, false, true),
                _ => continue,
            };
            if *kind.get_or_insert(class(x)) != class(x) {
                continue;
            }
            let bound = if inclusive {
                Bound::Included(Key(x.clone()))
            } else {
                Bound::Excluded(Key(x.clone()))
            };
            if is_lower {
                lower = tighter(lower, bound, Ordering::Greater);
            } else {
                upper = tighter(upper, bound, Ordering::Less);
            }
        }
        let class = kind?;
        if let (Bound::Included(l) | Bound::Excluded(l), Bound::Included(u) | Bound::Excluded(u)) =
            (&lower, &upper)
        {
            // An empty range: BTreeMap::range would panic on it.
            let empty = match l.cmp(u) {
                Ordering::Greater => true,
                Ordering::Equal => {
                    !(matches!(lower, Bound::Included(_)) && matches!(upper, Bound::Included(_)))
                }
                Ordering::Less => false,
            };
            if empty {
                return Some(Access::In(&[]));
            }
        }
        Some(Access::Range {
            lower,
            upper,
            class,
        })
    }
}

/// The tighter of two bounds: `want` is the direction that tightens (greater for a lower
/// bound, less for an upper one); at equal keys the exclusive bound is tighter.
fn tighter(a: Bound<Key>, b: Bound<Key>, want: Ordering) -> Bound<Key> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (_, Bound::Unbounded) => a,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            match y.cmp(x) {
                o if o == want => b,
                Ordering::Equal if matches!(b, Bound::Excluded(_)) => b,
                _ => a,
            }
        }
    }
}

/// The ids of the records under some index keys.
fn ids_of<'a>(keys: impl Iterator<Item = (&'a Key, &'a BTreeSet<String>)>) -> BTreeSet<&'a str> {
    keys.flat_map(|(_, ids)| ids.iter().map(String::as_str))
        .collect()
}

/// The order of two hits under `sort` (missing fields first), then by id.
fn order(sort: &[SortKey], a: &(&str, &Value), b: &(&str, &Value)) -> Ordering {
    for key in sort {
        let (x, y) = (key.path.get(a.1), key.path.get(b.1));
        let o = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => compare(x, y),
        };
        let o = if key.descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.0.cmp(b.0)
}
