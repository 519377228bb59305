//! Helpers of the repo tests: moving frames between two repos, reading their documents.
#![allow(dead_code)] // each test file uses some of these helpers

use dagsync::repo::{DocId, PeerId, Repo, RepoError};

/// Moves frames between `a` (called `names.0` at `b`) and `b` (called `names.1` at `a`) until
/// both are quiet. `inspect` sees each frame first, with its direction (`true`: a → b).
/// Returns the errors the receivers reported.
pub fn pump_with(
    a: &mut Repo,
    b: &mut Repo,
    names: (&str, &str),
    mut inspect: impl FnMut(bool, &[u8]),
) -> Vec<RepoError> {
    let mut errors = Vec::new();
    loop {
        let mut moved = false;
        while let Some((_, frame)) = a.poll_frame() {
            inspect(true, &frame);
            errors.extend(b.receive(&PeerId::from(names.0), &frame).err());
            moved = true;
        }
        while let Some((_, frame)) = b.poll_frame() {
            inspect(false, &frame);
            errors.extend(a.receive(&PeerId::from(names.1), &frame).err());
            moved = true;
        }
        if !moved {
            return errors;
        }
    }
}

/// [`pump_with`] between honest repos "a" and "b": every frame is accepted. Returns the bytes
/// moved.
pub fn pump(a: &mut Repo, b: &mut Repo) -> usize {
    let mut bytes = 0;
    let errors = pump_with(a, b, ("a", "b"), |_, frame| bytes += frame.len());
    assert_eq!(errors, vec![], "honest frames refused");
    bytes
}

/// The text "t" of document `id` (empty if the repo lacks it).
pub fn text(repo: &mut Repo, id: &DocId) -> String {
    repo.doc_mut(id)
        .map(|mut d| d.get_text("t").to_string())
        .unwrap_or_default()
}
