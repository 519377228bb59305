//! dagsync, the engine under test. Every dagsync-specific line of the harness is in this file.

use ::dagsync::clock::VersionVector;
use ::dagsync::{ActorId, Change, Doc};

use super::{fail, Engine, Result};

/// dagsync (`dagsync::Doc`, text container `"text"`).
pub struct Dagsync;

fn actor(agent: u32) -> ActorId {
    let mut id = [0; 32];
    id[..4].copy_from_slice(&(agent + 1).to_be_bytes());
    ActorId(id)
}

impl Engine for Dagsync {
    const NAME: &'static str = "dagsync";
    type Doc = Doc;
    type Version = VersionVector;
    type Update = Vec<Change>;
    type Loaded = Doc;

    fn new_doc(agent: u32) -> Result<Doc> {
        Ok(Doc::new(actor(agent)))
    }

    fn insert(doc: &mut Doc, pos: usize, text: &str) -> Result<()> {
        doc.get_text("text")
            .insert(pos, text)
            .map_err(|e| fail("dagsync insert", e))
    }

    fn delete(doc: &mut Doc, pos: usize, len: usize) -> Result<()> {
        doc.get_text("text")
            .delete(pos, len)
            .map_err(|e| fail("dagsync delete", e))
    }

    fn len(doc: &mut Doc) -> usize {
        doc.get_text("text").len()
    }

    fn commit(doc: &mut Doc) {
        doc.commit(None);
    }

    fn version(doc: &mut Doc) -> VersionVector {
        doc.version().clone()
    }

    fn commit_update(doc: &mut Doc, _since: &VersionVector) -> Result<Option<Vec<Change>>> {
        // The committed change itself: cheaper than `changes_since`, which scans the log.
        Ok(doc
            .commit(None)
            .and_then(|id| doc.get_change(&id))
            .map(|change| vec![change]))
    }

    fn changes_since(doc: &mut Doc, since: &VersionVector) -> Result<Vec<Change>> {
        Ok(doc.changes_since(since))
    }

    fn apply<'a>(doc: &mut Doc, updates: impl IntoIterator<Item = &'a Vec<Change>>) -> Result<()> {
        let changes: Vec<Change> = updates.into_iter().flatten().cloned().collect();
        let report = doc
            .apply_changes(changes)
            .map_err(|e| fail("dagsync apply_changes", e))?;
        if report.pending > 0 {
            return Err(fail(
                "dagsync apply_changes",
                format_args!("{} changes wait for missing deps", report.pending),
            ));
        }
        Ok(())
    }

    fn fork(doc: &mut Doc, agent: u32) -> Result<Doc> {
        Ok(doc.fork(actor(agent)))
    }

    fn text(doc: &mut Doc) -> String {
        doc.get_text("text").to_string()
    }

    fn save(doc: &mut Doc) -> Result<Vec<u8>> {
        Ok(doc.save())
    }

    fn load(bytes: &[u8], agent: u32) -> Result<Doc> {
        Doc::load(bytes, actor(agent)).map_err(|e| fail("dagsync load", e))
    }

    fn open(loaded: Doc) -> Result<Doc> {
        Ok(loaded)
    }

    fn export_all(doc: &mut Doc) -> Result<Vec<u8>> {
        Ok(doc.export_changes(&VersionVector::new()))
    }

    fn import_all(bytes: &[u8], agent: u32) -> Result<Doc> {
        let mut doc = Doc::new(actor(agent));
        let report = doc
            .import_changes(bytes)
            .map_err(|e| fail("dagsync import_changes", e))?;
        if report.pending > 0 {
            return Err(fail(
                "dagsync import_changes",
                format_args!("{} changes wait for missing deps", report.pending),
            ));
        }
        Ok(doc)
    }
}
