// Node tests of the `dagsync/core` entry: documents without the Repo, in a module of their own.
// The same document format and sync protocol as the full entry, so the two interoperate.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import * as core from "dagsync/core";
import * as full from "dagsync";

test("the core entry has the documents API and no Repo, storage or networks", () => {
  for (const name of ["Doc", "SyncState", "TextHandle", "ListHandle", "MapHandle", "CounterHandle",
    "SetHandle", "RegisterHandle", "DagsyncError"]) {
    assert.equal(typeof core[name], "function", name);
  }
  for (const name of ["Repo", "IndexedDbStorage", "BroadcastChannelNetwork", "WebRtcNetwork", "Collection"]) {
    assert.equal(core[name], undefined, name);
    assert.equal(typeof full[name], "function", name);
  }
});

test("a core document and a full document sync, save and load each other's bytes", () => {
  const a = new core.Doc();
  const b = new full.Doc();
  a.getText("body").insert(0, "from core");
  a.commit();
  b.getList("items").push("from full");
  b.commit();
  const [sa, sb] = [new core.SyncState(), new full.SyncState()];
  for (let i = 0; i < 10; i++) {
    const m1 = a.generateSyncMessage(sa);
    const m2 = b.generateSyncMessage(sb);
    if (m1 === undefined && m2 === undefined) break;
    if (m1 !== undefined) b.receiveSyncMessage(sb, m1);
    if (m2 !== undefined) a.receiveSyncMessage(sa, m2);
  }
  assert.deepEqual(a.toJSON(), { body: "from core", items: ["from full"] });
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.deepEqual(full.Doc.load(a.save()).toJSON(), a.toJSON());
  assert.deepEqual(core.Doc.load(b.save()).heads(), b.heads());
});

test("core errors are DagsyncErrors with codes, and objects of one module are refused by the other", () => {
  assert.throws(() => core.Doc.load(new Uint8Array([1, 2, 3])), (e) => e instanceof core.DagsyncError && e.code === "corrupt");
  const doc = new core.Doc();
  assert.throws(() => doc.merge(new full.Doc()), (e) => e instanceof core.DagsyncError && e.code === "invalid-argument");
  assert.throws(() => doc.generateSyncMessage(new full.SyncState()), (e) => e instanceof core.DagsyncError && e.code === "invalid-argument");
  assert.deepEqual(doc.toJSON(), {});
});

test("the core module is smaller than the full one", () => {
  const root = dirname(createRequire(import.meta.url).resolve("dagsync/package.json"));
  const gz = (path) => gzipSync(readFileSync(join(root, path)), { level: 9 }).length;
  const [coreSize, fullSize] = [gz("core/dagsync_bg.wasm"), gz("dagsync_bg.wasm")];
  assert.ok(statSync(join(root, "core/web/dagsync_bg.wasm")).size > 0);
  assert.ok(coreSize < fullSize * 0.7, `core ${coreSize} B vs full ${fullSize} B gzipped`);
});
