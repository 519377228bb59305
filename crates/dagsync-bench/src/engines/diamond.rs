//! diamond-types 1.0 (`ListCRDT`), the fastest established Rust text CRDT.

use diamond_types::list::encoding::{ENCODE_FULL, ENCODE_PATCH};
use diamond_types::list::{ListCRDT, OpLog};
use diamond_types::{AgentId, LocalVersion};

use super::{fail, Engine, Error, Result};

/// diamond-types (`ListCRDT`: an op log plus a branch at its tip).
pub struct DiamondTypes;

/// A diamond-types replica and its agent.
pub struct DtDoc {
    crdt: ListCRDT,
    agent: AgentId,
}

/// A loaded diamond-types op log (no branch checked out yet) and the agent to name on open.
pub struct DtLoaded {
    oplog: OpLog,
    agent: u32,
}

fn named(crdt: ListCRDT, agent: u32) -> DtDoc {
    let mut crdt = crdt;
    let agent = crdt.get_or_create_agent_id(&format!("agent{agent}"));
    DtDoc { crdt, agent }
}

impl Engine for DiamondTypes {
    const NAME: &'static str = "diamond-types";
    type Doc = DtDoc;
    type Version = LocalVersion;
    type Update = Vec<u8>;
    type Loaded = DtLoaded;

    fn new_doc(agent: u32) -> Result<DtDoc> {
        Ok(named(ListCRDT::new(), agent))
    }

    fn insert(doc: &mut DtDoc, pos: usize, text: &str) -> Result<()> {
        // diamond-types panics on out-of-range positions; check first.
        if pos > doc.crdt.len() {
            return Err(Error(format!(
                "diamond-types insert at {pos} beyond length {}",
                doc.crdt.len()
            )));
        }
        doc.crdt.insert(doc.agent, pos, text);
        Ok(())
    }

    fn delete(doc: &mut DtDoc, pos: usize, len: usize) -> Result<()> {
        match pos.checked_add(len) {
            Some(end) if end <= doc.crdt.len() => {
                doc.crdt.delete(doc.agent, pos..end);
                Ok(())
            }
            _ => Err(Error(format!(
                "diamond-types delete {pos}+{len} beyond length {}",
                doc.crdt.len()
            ))),
        }
    }

    fn len(doc: &mut DtDoc) -> usize {
        doc.crdt.len()
    }

    fn commit(_doc: &mut DtDoc) {
        // Every diamond-types edit is immediately part of the op log: nothing to seal.
    }

    fn version(doc: &mut DtDoc) -> LocalVersion {
        doc.crdt.oplog.local_version()
    }

    fn commit_update(doc: &mut DtDoc, since: &LocalVersion) -> Result<Option<Vec<u8>>> {
        if doc.crdt.oplog.local_version_ref() == since.as_slice() {
            return Ok(None);
        }
        Ok(Some(doc.crdt.oplog.encode_from(ENCODE_PATCH, since)))
    }

    fn changes_since(doc: &mut DtDoc, since: &LocalVersion) -> Result<Vec<u8>> {
        Ok(doc.crdt.oplog.encode_from(ENCODE_PATCH, since))
    }

    fn apply<'a>(doc: &mut DtDoc, updates: impl IntoIterator<Item = &'a Vec<u8>>) -> Result<()> {
        for update in updates {
            doc.crdt
                .merge_data_and_ff(update)
                .map_err(|e| fail("diamond-types merge_data_and_ff", format_args!("{e:?}")))?;
        }
        Ok(())
    }

    fn fork(doc: &mut DtDoc, agent: u32) -> Result<DtDoc> {
        let crdt = ListCRDT::load_from(&doc.crdt.oplog.encode(ENCODE_FULL))
            .map_err(|e| fail("diamond-types load_from", format_args!("{e:?}")))?;
        Ok(named(crdt, agent))
    }

    fn text(doc: &mut DtDoc) -> String {
        doc.crdt.branch.content().to_string()
    }

    fn save(doc: &mut DtDoc) -> Result<Vec<u8>> {
        Ok(doc.crdt.oplog.encode(ENCODE_FULL))
    }

    fn load(bytes: &[u8], agent: u32) -> Result<DtLoaded> {
        let oplog = OpLog::load_from(bytes)
            .map_err(|e| fail("diamond-types OpLog::load_from", format_args!("{e:?}")))?;
        Ok(DtLoaded { oplog, agent })
    }

    fn open(loaded: DtLoaded) -> Result<DtDoc> {
        // What `ListCRDT::load_from` does after decoding: check out the tip.
        let branch = loaded.oplog.checkout_tip();
        let crdt = ListCRDT {
            branch,
            oplog: loaded.oplog,
        };
        Ok(named(crdt, loaded.agent))
    }

    fn export_all(doc: &mut DtDoc) -> Result<Vec<u8>> {
        Ok(doc.crdt.oplog.encode_from(ENCODE_PATCH, &[]))
    }

    fn import_all(bytes: &[u8], agent: u32) -> Result<DtDoc> {
        let mut doc = named(ListCRDT::new(), agent);
        doc.crdt
            .merge_data_and_ff(bytes)
            .map_err(|e| fail("diamond-types merge_data_and_ff", format_args!("{e:?}")))?;
        Ok(doc)
    }
}
