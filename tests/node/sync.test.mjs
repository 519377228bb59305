// Node tests of the sync protocol through the package: two documents converge with
// generateSyncMessage / receiveSyncMessage, a persisted SyncState resumes, bad messages throw
// DagsyncError and change nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Doc, SyncState } from "dagsync";

/** Runs the exchange loop until both sides are quiet; returns the number of messages. */
function converse(a, aState, b, bState, wire = (m) => m) {
  let messages = 0;
  for (let i = 0; i < 50; i++) {
    const m1 = a.generateSyncMessage(aState);
    const m2 = b.generateSyncMessage(bState);
    if (m1 === undefined && m2 === undefined) return messages;
    if (m1 !== undefined) { messages++; b.receiveSyncMessage(bState, wire(m1)); }
    if (m2 !== undefined) { messages++; a.receiveSyncMessage(aState, wire(m2)); }
  }
  throw new Error("sync did not go quiet");
}

test("two documents converge by exchanging sync messages, and resume from a saved state", () => {
  const alice = new Doc();
  const bob = new Doc();
  alice.getText("body").insert(0, "Hello");
  alice.commit();
  bob.getMap("meta").set("title", "Notes");
  bob.commit();
  let toBob = new SyncState();
  let toAlice = new SyncState();
  converse(alice, toBob, bob, toAlice);
  assert.deepEqual(alice.toJSON(), bob.toJSON());
  assert.deepEqual(alice.heads(), bob.heads());
  // Persist both states, edit offline, resume: one exchange each way carries the edits.
  const saved = [toBob.encode(), toAlice.encode()];
  alice.getText("body").insert(5, ", world");
  alice.commit();
  bob.getText("body").insert(0, ">> ");
  bob.commit();
  toBob = SyncState.decode(saved[0]);
  toAlice = SyncState.decode(saved[1]);
  converse(alice, toBob, bob, toAlice);
  assert.equal(alice.getText("body").toString(), bob.getText("body").toString());
  assert.equal(alice.getText("body").toString(), ">> Hello, world");
});

test("the automerge-paper-sized history syncs into an empty document", () => {
  const big = new Doc();
  const text = big.getText("t");
  for (let i = 0; i < 2000; i++) {
    text.insert(text.length === 0 ? 0 : i % text.length, String.fromCharCode(97 + (i % 26)));
    if (i % 10 === 0) big.commit(`c${i}`);
  }
  big.commit();
  const fresh = new Doc();
  converse(big, new SyncState(), fresh, new SyncState());
  assert.equal(fresh.getText("t").toString(), big.getText("t").toString());
});

test("malformed messages throw DagsyncError and change nothing", () => {
  const a = new Doc();
  a.getText("t").insert(0, "x");
  a.commit();
  const b = new Doc();
  const state = new SyncState();
  const message = a.generateSyncMessage(new SyncState());
  assert.ok(message instanceof Uint8Array);
  const before = JSON.stringify(b.toJSON());
  for (const bad of [new Uint8Array([1, 2, 3]), message.slice(0, message.length - 3), Uint8Array.from(message, (v, i) => (i === 10 ? v ^ 0xff : v))]) {
    assert.throws(() => b.receiveSyncMessage(state, bad), { name: "DagsyncError" });
  }
  assert.throws(() => b.receiveSyncMessage(state, "not bytes"), { name: "DagsyncError", code: "invalid-argument" });
  assert.throws(() => SyncState.decode(new Uint8Array([9, 9, 9])), { name: "DagsyncError", code: "corrupt" });
  assert.equal(JSON.stringify(b.toJSON()), before);
  // The genuine first message is taken, and the exchange then converges.
  b.receiveSyncMessage(state, message);
  converse(a, new SyncState(), b, new SyncState());
  assert.equal(b.getText("t").toString(), "x");
});

test("a peer that is not a SyncState, or a merge with what is not a Doc, throws DagsyncError invalid-argument", () => {
  const a = new Doc();
  a.getText("t").insert(0, "x");
  const invalid = { name: "DagsyncError", code: "invalid-argument" };
  const freed = new SyncState();
  freed.free();
  const freedDoc = new Doc();
  freedDoc.free();
  for (const bad of [undefined, null, 5, "state", {}, { __dagsyncSyncState: 1e9 }, a, freed]) {
    assert.throws(() => a.generateSyncMessage(bad), invalid, String(bad));
    assert.throws(() => a.receiveSyncMessage(bad, new Uint8Array([1])), invalid, String(bad));
  }
  for (const bad of [undefined, null, 5, "doc", {}, { __dagsyncDoc: 1e9 }, new SyncState(), a.getText("t"), freedDoc]) {
    assert.throws(() => a.merge(bad), invalid, String(bad));
  }
  // Still usable afterwards.
  const b = new Doc();
  b.merge(a);
  assert.equal(b.getText("t").toString(), "x");
  converse(a, new SyncState(), b, new SyncState());
});
