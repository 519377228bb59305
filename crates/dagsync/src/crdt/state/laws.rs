//! The CRDT laws every state-based type's tests check: merge is commutative, associative and
//! idempotent.

use proptest::prelude::*;

use super::Crdt;

/// Checks the three semilattice laws on three replicas.
pub(crate) fn check_laws<T: Crdt + PartialEq + std::fmt::Debug>(
    x: &T,
    y: &T,
    z: &T,
) -> Result<(), TestCaseError> {
    let merged = |a: &T, b: &T| {
        let mut out = a.clone();
        out.merge(b);
        out
    };
    prop_assert_eq!(merged(x, y), merged(y, x), "merge is commutative");
    prop_assert_eq!(
        merged(&merged(x, y), z),
        merged(x, &merged(y, z)),
        "merge is associative"
    );
    prop_assert_eq!(merged(x, x), x.clone(), "merge is idempotent");
    prop_assert_eq!(
        merged(&merged(x, y), y),
        merged(x, y),
        "merging again changes nothing"
    );
    Ok(())
}

/// Three valid replica states of a type: three replicas (actors 1, 2, 3) apply random
/// operations (`op(state, actor, step)`) and merge each other's states at random points, as
/// real replicas would, so no two states claim different writes under one id.
pub(crate) fn replicas<T, F>(op: F) -> impl Strategy<Value = Vec<T>>
where
    T: Crdt + Default + std::fmt::Debug,
    F: Fn(&mut T, u8, u64) + Clone,
{
    prop::collection::vec((0usize..3, 0usize..4), 0..30).prop_map(move |script| {
        let mut states: Vec<T> = (0..3).map(|_| T::default()).collect();
        for (step, (replica, action)) in script.into_iter().enumerate() {
            if action == 0 {
                let from = (replica + 1) % 3;
                let other = states[from].clone();
                states[replica].merge(&other);
            } else {
                op(&mut states[replica], replica as u8 + 1, step as u64 + 1);
            }
        }
        states
    })
}
