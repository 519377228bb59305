import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { Doc } from "dagsync";
const trace = JSON.parse(gunzipSync(readFileSync("/work/shared/traces/automerge-paper.json.gz")).toString());
const n = Number(process.argv[2] ?? trace.txns.length);
const d = new Doc({ secretKey: "01".padStart(64, "0") });
let bytes = 0;
if (process.argv[3] !== "nosub") d.subscribeLocalUpdates((u) => (bytes += u.length));
const t = d.getText("text");
const start = performance.now();
for (const txn of trace.txns.slice(0, n)) {
  for (const [pos, del, ins] of txn.patches) {
    if (del > 0) t.delete(pos, del);
    if (ins.length > 0) t.insert(pos, ins);
  }
  d.commit();
}
const ms = performance.now() - start;
console.log(`${n} edits: ${ms.toFixed(0)} ms (${(ms * 1000 / n).toFixed(1)} µs/edit), ${bytes} B updates`);
const s0 = performance.now(); const saved = d.save(); const s1 = performance.now();
Doc.load(saved); const s2 = performance.now();
console.log(`save ${saved.length} B in ${(s1-s0).toFixed(0)} ms, load ${(s2-s1).toFixed(0)} ms`);
