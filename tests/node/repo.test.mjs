// The Repo of the built package in Node: in memory (Node has no IndexedDB), and what happens
// when IndexedDB storage is asked for where there is none.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DagsyncError, IndexedDbStorage, Repo } from "dagsync";

test("a repo in memory creates, finds, reports changes and closes", async () => {
  const repo = new Repo();
  const handle = await repo.create();
  assert.match(handle.id, /^[0-9a-f]{32}$/);
  assert.equal(handle.doc, handle.doc);
  const events = [];
  const off = handle.on("change", (e) => events.push(e.origin));
  handle.doc.getText("t").insert(0, "hello");
  handle.doc.commit();
  await handle.flushed();
  off();
  assert.deepEqual(events, ["local"]);
  assert.equal(await repo.find(handle.id), handle);
  assert.deepEqual(repo.docIds(), [handle.id]);
  assert.equal(repo.stats().docs, 1);
  assert.deepEqual(repo.peers(), []);
  await repo.close();
  await assert.rejects(repo.create(), (e) => e instanceof DagsyncError && e.code === "closed");
  assert.equal(handle.doc.getText("t").toString(), "hello");
});

test("IndexedDB storage without IndexedDB fails as an error event and rejected calls", async () => {
  const repo = new Repo({ storage: new IndexedDbStorage("nowhere") });
  const errors = [];
  repo.on("error", (e) => errors.push(e));
  await assert.rejects(repo.create(), (e) => e instanceof DagsyncError && e.code === "storage-failed");
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, "storage-failed");
  await repo.close();
});

test("bad Repo options throw DagsyncError", () => {
  for (const options of [5, { storage: "x" }, { network: [{}] }, { network: "x" }, { secretKey: "zz" }]) {
    assert.throws(() => new Repo(options), (e) => e instanceof DagsyncError && e.code === "invalid-argument");
  }
  assert.throws(() => new IndexedDbStorage(""), (e) => e.code === "invalid-argument");
});
