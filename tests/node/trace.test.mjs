// Replays real editing traces (../shared/traces, see its README) through the JS API of the
// built package and checks the final text and a save/load round trip.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { Doc } from "dagsync";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tracesDir = process.env.DAGSYNC_TRACES ?? join(root, "..", "shared", "traces");

function loadTrace(name) {
  return JSON.parse(gunzipSync(readFileSync(join(tracesDir, `${name}.json.gz`))).toString("utf8"));
}

/** Positions in the traces count code points; these traces are in the BMP, where a code
 * point is one UTF-16 unit, which the check below makes sure of. */
function replay(name) {
  const trace = loadTrace(name);
  assert.ok(![...trace.endContent].some((c) => c.codePointAt(0) > 0xffff), "BMP-only trace");
  const doc = new Doc();
  const text = doc.getText("text");
  let txns = 0;
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) {
      if (del > 0) text.delete(pos, del);
      if (ins.length > 0) text.insert(pos, ins);
    }
    if (++txns % 10_000 === 0) doc.commit();
  }
  doc.commit(`replayed ${name}`);
  assert.equal(text.length, trace.endContent.length);
  assert.equal(text.toString(), trace.endContent);
  return { doc, trace };
}

test("the automerge-paper trace replays to its endContent", () => {
  const { doc, trace } = replay("automerge-paper");
  const bytes = doc.save();
  const loaded = Doc.load(bytes);
  assert.equal(loaded.getText("text").toString(), trace.endContent);
  assert.deepEqual(loaded.heads(), doc.heads());
  const copy = new Doc();
  copy.importChanges(doc.exportChanges());
  assert.equal(copy.getText("text").toString(), trace.endContent);
  console.log(`automerge-paper: ${trace.txns.length} txns, save() ${bytes.length} B`);
});

test("the seph-blog1 trace (non-ASCII, multi-character edits) replays to its endContent", () => {
  replay("seph-blog1");
});
