//! Taking a sequence back to a past version in place (checking out a past version of a
//! document): the items inserted since are dropped, and items deleted only since are visible
//! again. Inserting never reorders existing items, so the current order restricted to the
//! kept items is the past order. Only the leaves holding dropped or revived items change.

use super::{weigh, IdRanges, Run, Sequence, Weights, MAX_RUNS};
use crate::id::{ActorIdx, Id};

impl Sequence {
    /// Keeps only the items whose counter is below `limit(actor)`, and makes the deleted items
    /// in `revived` visible again. `dropped` names the items that are not kept, as
    /// `(first id, length)` ranges (ids this sequence lacks are ignored); only their leaves
    /// and those of `revived` are visited.
    pub(crate) fn retreat<W: Weights + ?Sized>(
        &mut self,
        limit: impl Fn(ActorIdx) -> u64,
        dropped: &[(Id, u64)],
        revived: &IdRanges,
        w: &W,
    ) {
        self.hint.set(None);
        let mut affected: Vec<u32> = Vec::new();
        for (start, len) in dropped.iter().copied().chain(revived.iter()) {
            let end = start.counter.saturating_add(len);
            let mut counter = start.counter;
            while counter < end {
                let Some((next, leaf)) = self.index.entry(Id::new(start.actor, counter)) else {
                    break;
                };
                affected.push(leaf);
                counter = next;
            }
        }
        affected.sort_unstable();
        affected.dedup();
        let mut emptied = false;
        for &leaf in &affected {
            let Some(l) = self.leaves.get_mut(leaf as usize) else {
                continue;
            };
            let old = std::mem::take(&mut l.runs);
            let mut runs = Vec::with_capacity(old.len());
            for run in old {
                cut_run(run, limit(run.id.actor), revived, &mut runs);
            }
            let (items, utf16) = weigh(&runs, w);
            let (d_items, d_utf16) = (
                items.wrapping_sub(l.items) as i64,
                utf16.wrapping_sub(l.utf16) as i64,
            );
            emptied |= runs.is_empty();
            l.runs = runs;
            self.add_weight(leaf, d_items, d_utf16);
        }
        let mut actors: Vec<ActorIdx> = dropped.iter().map(|(id, _)| id.actor).collect();
        actors.sort_unstable();
        actors.dedup();
        for actor in actors {
            self.index.truncate(actor, limit(actor));
        }
        if emptied {
            self.drop_empty_leaves();
        }
        let mut oversized: Vec<u32> = affected;
        while let Some(leaf) = oversized.pop() {
            if self
                .leaves
                .get(leaf as usize)
                .is_some_and(|l| l.runs.len() > MAX_RUNS)
            {
                self.split_leaf(leaf, w);
                oversized.push(leaf);
                oversized.push(self.leaves.len() as u32 - 1);
            }
        }
    }

    /// Takes empty leaves out of the document order (keeping one if all are empty). They stay
    /// in the leaf table, unused: no id maps to them.
    fn drop_empty_leaves(&mut self) {
        let first = self.order.first().copied().unwrap_or(0);
        let leaves = &self.leaves;
        self.order
            .retain(|&l| leaves.get(l as usize).is_some_and(|l| !l.runs.is_empty()));
        if self.order.is_empty() {
            self.order.push(first);
        }
        for (pos, &l) in self.order.iter().enumerate() {
            if let Some(leaf) = self.leaves.get_mut(l as usize) {
                leaf.pos = pos as u32;
            }
        }
        self.rebuild_fenwick();
    }
}

/// Appends the kept part of `run` (items with a counter below `limit`) to `out`, split where
/// `revived` makes deleted items visible, merging with the run before when they continue.
fn cut_run(run: Run, limit: u64, revived: &IdRanges, out: &mut Vec<Run>) {
    if run.id.counter >= limit {
        return;
    }
    let mut run = run;
    let keep = (limit - run.id.counter).min(u64::from(run.len)) as u32;
    if keep < run.len {
        run.split(keep);
    }
    if !run.deleted || revived.is_empty() {
        push_run(out, run);
        return;
    }
    let end = run.id.counter + u64::from(run.len);
    let mut rest = Some(run);
    for (lo, hi) in revived.overlapping(run.id.actor, run.id.counter, end) {
        let Some(mut head) = rest.take() else { break };
        let at = head.id.counter;
        if lo > at {
            let tail = head.split((lo - at) as u32);
            push_run(out, head);
            head = tail;
        }
        let head_end = head.id.counter + u64::from(head.len);
        if hi < head_end {
            rest = Some(head.split((hi - head.id.counter) as u32));
        }
        head.deleted = false;
        push_run(out, head);
    }
    if let Some(rest) = rest {
        push_run(out, rest);
    }
}

fn push_run(out: &mut Vec<Run>, run: Run) {
    match out.last_mut() {
        Some(last) if last.can_append(&run) => last.len += run.len,
        _ => out.push(run),
    }
}
