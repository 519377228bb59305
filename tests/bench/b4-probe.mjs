// Where the time of B4 "per edit" goes in dagsync alone: the automerge-paper trace with one
// `commit()` per edit, printing µs per edit for every 20,000 edits (to see it grow).
//
//   node tests/bench/b4-probe.mjs [EDITS] [sub|nosub|export]
//     sub     one `subscribeLocalUpdates` update per edit (as B4 per edit), the default
//     nosub   commits only
//     export  `exportChanges(heads)` after each commit instead of the listener
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { Doc } from "dagsync";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tracesDir = process.env.DAGSYNC_TRACES ?? join(root, "..", "shared", "traces");
const trace = JSON.parse(gunzipSync(readFileSync(join(tracesDir, "automerge-paper.json.gz"))).toString("utf8"));
const edits = Number(process.argv[2] ?? trace.txns.length);
const mode = process.argv[3] ?? "sub";
const doc = new Doc({ secretKey: "01".padStart(64, "0") });
let updateBytes = 0;
if (mode === "sub") doc.subscribeLocalUpdates((u) => (updateBytes += u.length));
const text = doc.getText("text");
const window = 20_000;
const first = performance.now();
let start = first;
let done = 0;
for (const txn of trace.txns.slice(0, edits)) {
  for (const [pos, del, ins] of txn.patches) {
    if (del > 0) text.delete(pos, del);
    if (ins.length > 0) text.insert(pos, ins);
  }
  doc.commit();
  if (mode === "export") doc.exportChanges(doc.heads());
  if (++done % window === 0 || done === edits) {
    const now = performance.now();
    const { heapUsed, external } = process.memoryUsage();
    const mb = (n) => (n / 1e6).toFixed(0);
    console.log(
      `${done} edits: ${(((now - start) * 1000) / (done % window || window)).toFixed(1)} µs/edit, ` +
        `JS heap ${mb(heapUsed)} MB, external (wasm memory) ${mb(external)} MB, updates ${updateBytes} B`,
    );
    start = now;
  }
}
console.log(`in all: ${(((performance.now() - first) * 1000) / done).toFixed(2)} µs/edit`);
