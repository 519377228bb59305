// Node tests of replication through the built package: events, local updates, export/import,
// fork/merge, time travel, and refused changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DagsyncError, Doc } from "dagsync";

test("subscribe delivers local and remote patches after the call returns", () => {
  const a = new Doc();
  const events = [];
  const unsubscribe = a.subscribe((e) => events.push(e));
  a.getText("t").insert(0, "héllo");
  a.getMap("m").set("k", 1);
  a.getMap("m").setContainer("l", "list").push("x");
  assert.equal(events.length, 0, "nothing before commit");
  a.commit();
  assert.equal(events.length, 1);
  assert.equal(events[0].origin, "local");
  assert.deepEqual(
    events[0].patches.map((p) => ({ ...p, value: p.value instanceof Object ? "handle" : p.value, values: p.values })),
    [
      { action: "text-insert", path: ["t"], index: 0, text: "héllo", value: undefined, values: undefined },
      { action: "map-put", path: ["m"], key: "k", value: 1, values: undefined },
      { action: "map-put", path: ["m"], key: "l", value: "handle", values: undefined },
      { action: "list-insert", path: ["m", "l"], index: 0, value: undefined, values: ["x"] },
    ],
  );

  const b = new Doc();
  const remote = [];
  b.subscribe((e) => remote.push(e));
  b.importChanges(a.exportChanges());
  assert.equal(remote.length, 1);
  assert.equal(remote[0].origin, "remote");
  assert.equal(b.getText("t").toString(), "héllo");

  unsubscribe();
  a.getText("t").delete(1, 1);
  a.commit();
  assert.equal(events.length, 1);
});

test("a throwing listener does not break the call or the other listeners", () => {
  const doc = new Doc();
  const seen = [];
  doc.subscribe(() => {
    throw new Error("listener bug");
  });
  doc.subscribe((e) => seen.push(e.origin));
  // The error is rethrown from a microtask (like EventTarget listeners): capture it.
  const scheduled = [];
  const original = globalThis.queueMicrotask;
  globalThis.queueMicrotask = (task) => scheduled.push(task);
  try {
    doc.getCounter("n").increment();
    assert.match(doc.commit(), /^[0-9a-f]{64}$/);
  } finally {
    globalThis.queueMicrotask = original;
  }
  assert.deepEqual(seen, ["local"]);
  assert.equal(scheduled.length, 1);
  assert.throws(scheduled[0], { message: "listener bug" });
});

/** Lets the microtasks queued so far run (the burst's signed update is one). */
const endOfBurst = () => new Promise((done) => setTimeout(done, 0));

test("local updates replicate every commit to another document", async () => {
  const a = new Doc();
  const b = new Doc();
  const updates = [];
  const stop = a.subscribeLocalUpdates((u) => updates.push(u));
  const remoteEvents = [];
  a.subscribe((e) => remoteEvents.push(e.origin));
  for (const word of ["one ", "two ", "three"]) {
    const text = a.getText("t");
    text.insert(text.length, word);
    a.commit();
  }
  // One update per commit, unsigned: held by a replica that has not authenticated them…
  assert.equal(updates.length, 3);
  updates.forEach((u, i) => {
    assert.ok(u instanceof Uint8Array);
    assert.deepEqual(b.importChanges(u), { applied: 0, pending: i + 1 });
  });
  // …until the burst ends with one more update: the latest change, signed.
  await endOfBurst();
  assert.equal(updates.length, 4);
  assert.deepEqual(b.importChanges(updates[3]), { applied: 3, pending: 0 });
  assert.equal(b.getText("t").toString(), "one two three");
  assert.deepEqual(b.heads(), a.heads());
  await endOfBurst();
  assert.equal(updates.length, 4, "one signature per burst");
  updates.length = 3;

  // Remote changes are not local updates; out-of-order delivery waits as pending.
  b.getText("t").insert(0, ">");
  b.commit();
  a.importChanges(b.exportChanges(a.heads()));
  assert.equal(updates.length, 3);
  a.getText("t").insert(0, "!");
  a.commit();
  const c = new Doc();
  assert.deepEqual(c.importChanges(updates[3]), { applied: 0, pending: 1 });
  assert.deepEqual(c.importChanges(b.exportChanges()), { applied: 4, pending: 1 });
  await endOfBurst();
  assert.equal(updates.length, 5);
  assert.deepEqual(c.importChanges(updates[4]), { applied: 1, pending: 0 });
  assert.equal(c.getText("t").toString(), "!>one two three");
  stop();
  a.getText("t").insert(0, "?");
  a.commit();
  await endOfBurst();
  assert.equal(updates.length, 5);
});

test("exportChanges(since) sends only what a replica at those heads lacks; import is idempotent", () => {
  const a = new Doc();
  for (let i = 0; i < 10; i++) {
    a.getList("l").push(i);
    a.commit(`edit ${i}`);
  }
  a.getList("l").push(1);
  const v1 = a.commit("v1");
  const b = new Doc();
  b.importChanges(a.exportChanges());
  a.getList("l").push(2);
  a.commit();
  const delta = a.exportChanges([v1]);
  // The delta holds just the change after v1 (by what it holds, not its size: a tiny delta
  // carries its dependency's hash and can outweigh the whole history): alone, it waits for v1.
  assert.deepEqual(new Doc().importChanges(delta), { applied: 0, pending: 1 });
  assert.deepEqual(b.importChanges(delta), { applied: 1, pending: 0 });
  assert.deepEqual(b.importChanges(delta), { applied: 0, pending: 0 });
  assert.deepEqual(b.importChanges(a.exportChanges()), { applied: 0, pending: 0 });
  assert.deepEqual(b.toJSON(), a.toJSON());
  assert.deepEqual(b.exportChanges(b.heads()).length, a.exportChanges(a.heads()).length);
});

test("fork and merge converge; merging oneself is a no-op", () => {
  const a = new Doc();
  a.getText("t").insert(0, "Hello");
  const b = a.fork();
  assert.notEqual(b.actor, a.actor);
  b.getText("t").insert(5, ", world");
  a.getText("t").insert(0, ">> ");
  a.merge(b);
  b.merge(a);
  a.merge(a);
  assert.equal(a.getText("t").toString(), ">> Hello, world");
  assert.deepEqual(a.toJSON(), b.toJSON());
  assert.deepEqual(a.heads(), b.heads());
});

test("view and forkAt travel back in time", () => {
  const doc = new Doc();
  doc.getText("t").insert(0, "one");
  const v1 = doc.commit("v1");
  doc.getText("t").insert(3, " two");
  doc.commit("v2");
  const view = doc.view([v1]);
  assert.equal(view.getText("t").toString(), "one");
  assert.deepEqual(view.heads(), [v1]);
  assert.throws(() => view.getText("t").insert(0, "x"), (e) => e instanceof DagsyncError && e.code === "read-only");
  assert.equal(view.getText("t").toString(), "one");
  const readOnly = (e) => e instanceof DagsyncError && e.code === "read-only";
  assert.throws(() => view.importChanges(doc.exportChanges()), readOnly);
  assert.throws(() => view.merge(doc), readOnly);
  assert.deepEqual(view.heads(), [v1]);

  const key = "42".repeat(32);
  const branch = doc.forkAt([v1], { secretKey: key });
  assert.equal(branch.actor, new Doc({ secretKey: key }).actor);
  branch.getText("t").insert(3, " alt");
  branch.commit("alt");
  assert.equal(branch.getText("t").toString(), "one alt");
  doc.merge(branch);
  assert.equal(doc.getText("t").toString().length, "one two alt".length);
  assert.ok(doc.forkAt([v1]).actor !== doc.actor);
});

test("flipped bytes in imported changes are refused with a DagsyncError and change nothing", () => {
  const a = new Doc({ secretKey: "01".repeat(32) });
  a.getText("t").insert(0, "signed text");
  a.commit("m");
  const bytes = a.exportChanges();
  const codes = new Set();
  for (let i = 0; i < bytes.length; i++) {
    const broken = bytes.slice();
    broken[i] ^= 0x01;
    const b = new Doc();
    b.getText("t").insert(0, "mine");
    const before = b.save();
    try {
      b.importChanges(broken);
    } catch (e) {
      assert.ok(e instanceof DagsyncError, `byte ${i}: ${e}`);
      codes.add(e.code);
      assert.deepEqual(b.save(), before, `byte ${i}`);
    }
  }
  assert.ok(codes.has("corrupt"), [...codes].join());
  const c = new Doc();
  c.importChanges(bytes);
  assert.equal(c.getText("t").toString(), "signed text");
});
