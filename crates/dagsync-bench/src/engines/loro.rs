//! Loro 1.x (`LoroDoc`), a widely used Rust CRDT library (the engine of `loro-crdt`).

use loro::{ExportMode, LoroDoc, LoroText, VersionVector};

use super::{fail, Engine, Result};

/// Loro (`LoroDoc` with one `LoroText` named `"text"`).
pub struct Loro;

/// A Loro replica and its text container (looked up once).
pub struct LoroReplica {
    doc: LoroDoc,
    text: LoroText,
}

fn replica(doc: LoroDoc, agent: u32) -> Result<LoroReplica> {
    doc.set_peer_id(u64::from(agent) + 1)
        .map_err(|e| fail("loro set_peer_id", e))?;
    Ok(wrap(doc))
}

fn wrap(doc: LoroDoc) -> LoroReplica {
    let text = doc.get_text("text");
    LoroReplica { doc, text }
}

/// `LoroDoc::new` + `import(bytes)` + the peer id of `agent`; nothing may stay pending.
fn import_new(bytes: &[u8], agent: u32, what: &str) -> Result<LoroDoc> {
    let doc = LoroDoc::new();
    let status = doc.import(bytes).map_err(|e| fail(what, e))?;
    if status.pending.is_some() {
        return Err(fail(what, "updates wait for missing deps"));
    }
    doc.set_peer_id(u64::from(agent) + 1)
        .map_err(|e| fail("loro set_peer_id", e))?;
    Ok(doc)
}

impl Engine for Loro {
    const NAME: &'static str = "loro";
    type Doc = LoroReplica;
    type Version = VersionVector;
    type Update = Vec<u8>;
    type Loaded = LoroDoc;

    fn new_doc(agent: u32) -> Result<LoroReplica> {
        replica(LoroDoc::new(), agent)
    }

    fn insert(doc: &mut LoroReplica, pos: usize, text: &str) -> Result<()> {
        doc.text
            .insert(pos, text)
            .map_err(|e| fail("loro insert", e))
    }

    fn delete(doc: &mut LoroReplica, pos: usize, len: usize) -> Result<()> {
        doc.text
            .delete(pos, len)
            .map_err(|e| fail("loro delete", e))
    }

    fn len(doc: &mut LoroReplica) -> usize {
        doc.text.len_unicode()
    }

    fn commit(doc: &mut LoroReplica) {
        doc.doc.commit();
    }

    fn version(doc: &mut LoroReplica) -> VersionVector {
        doc.doc.oplog_vv()
    }

    fn commit_update(doc: &mut LoroReplica, since: &VersionVector) -> Result<Option<Vec<u8>>> {
        doc.doc.commit();
        if &doc.doc.oplog_vv() == since {
            return Ok(None);
        }
        Self::changes_since(doc, since).map(Some)
    }

    fn changes_since(doc: &mut LoroReplica, since: &VersionVector) -> Result<Vec<u8>> {
        doc.doc
            .export(ExportMode::updates(since))
            .map_err(|e| fail("loro export updates", e))
    }

    fn apply<'a>(
        doc: &mut LoroReplica,
        updates: impl IntoIterator<Item = &'a Vec<u8>>,
    ) -> Result<()> {
        for update in updates {
            let status = doc.doc.import(update).map_err(|e| fail("loro import", e))?;
            if status.pending.is_some() {
                return Err(fail("loro import", "updates wait for missing deps"));
            }
        }
        Ok(())
    }

    fn fork(doc: &mut LoroReplica, agent: u32) -> Result<LoroReplica> {
        replica(doc.doc.fork(), agent)
    }

    fn text(doc: &mut LoroReplica) -> String {
        doc.text.to_string()
    }

    fn save(doc: &mut LoroReplica) -> Result<Vec<u8>> {
        doc.doc
            .export(ExportMode::Snapshot)
            .map_err(|e| fail("loro export snapshot", e))
    }

    fn load(bytes: &[u8], agent: u32) -> Result<LoroDoc> {
        import_new(bytes, agent, "loro import snapshot")
    }

    fn open(loaded: LoroDoc) -> Result<LoroReplica> {
        Ok(wrap(loaded))
    }

    fn export_all(doc: &mut LoroReplica) -> Result<Vec<u8>> {
        doc.doc
            .export(ExportMode::all_updates())
            .map_err(|e| fail("loro export all updates", e))
    }

    fn import_all(bytes: &[u8], agent: u32) -> Result<LoroReplica> {
        import_new(bytes, agent, "loro import updates").map(wrap)
    }
}
