// Collections (records, Mongo-like queries, indexes, live queries), stable cursors, undo/redo
// and presence through the built package in Node (repos in memory; two repos sync over
// Node's BroadcastChannel).
import assert from "node:assert/strict";
import { test } from "node:test";
import { BroadcastChannelNetwork, DagsyncError, Doc, Repo } from "dagsync";

const isCode = (code) => (e) => e instanceof DagsyncError && e.code === code;
const until = async (check, what, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test("a collection inserts, gets, updates, deletes, finds, explains and runs live queries", async () => {
  const repo = new Repo();
  const todos = await repo.collection("todos");
  assert.equal(await repo.collection("todos"), todos, "the same object");
  assert.match(todos.id, /^[0-9a-f]{32}$/);
  assert.equal(todos.name, "todos");
  const live = [];
  const open = { where: { done: false }, sort: ["-priority", "title"] };
  const stop = todos.subscribe(open, (results) => live.push(results.map((r) => r.record.title)));
  assert.deepEqual(live, [[]], "called at once with the current results");
  const a = todos.insert({ title: "a", done: false, priority: 1, owner: { name: "Alice" } });
  const b = todos.insert({ title: "b", done: false, priority: 3 });
  const c = todos.insert({ title: "c", done: true, priority: 2 });
  assert.equal(todos.size, 3);
  assert.deepEqual(todos.get(a), { title: "a", done: false, priority: 1, owner: { name: "Alice" } });
  assert.equal(todos.get("nope"), undefined);
  assert.deepEqual(live.at(-1), ["b", "a"]);
  todos.update(a, { priority: 5 });
  assert.deepEqual(live.at(-1), ["a", "b"]);
  const calls = live.length;
  todos.update(c, { title: "c2" });
  assert.equal(live.length, calls, "a record outside the results changes nothing");
  todos.update(b, { title: "B" });
  assert.deepEqual(live.at(-1), ["a", "B"], "new contents of a record in the results");
  todos.delete(b);
  assert.deepEqual(live.at(-1), ["a"]);
  stop();
  todos.insert({ title: "d", done: false });
  assert.deepEqual(live.at(-1), ["a"], "stopped");

  assert.deepEqual(todos.find({ where: { "owner.name": { $prefix: "Al" } } }).map((r) => r.id), [a]);
  assert.deepEqual(todos.find({ where: { $or: [{ done: true }, { priority: { $gte: 5 } }] }, sort: ["title"] }).map((r) => r.record.title), ["a", "c2"]);
  assert.equal(todos.find().length, 3);
  assert.deepEqual(todos.find({ sort: ["title"], limit: 1, offset: 1 }).map((r) => r.record.title), ["c2"]);
  assert.deepEqual(todos.explain({ where: { done: false } }), { index: null, access: "scan" });
  todos.ensureIndex("done");
  todos.ensureIndex("done");
  assert.deepEqual(todos.explain({ where: { done: false } }), { index: "done", access: "eq" });

  for (const bad of [5, { where: { priority: { $gte: 1, $bogus: 2 } } }, { where: { $or: 5 } }, { sort: "title" }, { limit: -1 }]) {
    assert.throws(() => todos.find(bad), isCode("invalid-query"), JSON.stringify(bad));
  }
  assert.throws(() => todos.find({ where: { x: { $bogus: 1 } } }), (e) => e.code === "invalid-query" && /\$bogus/.test(e.message), "the message says where");
  assert.throws(() => todos.subscribe({ where: 1 }, () => {}), isCode("invalid-query"));
  assert.throws(() => todos.insert("not an object"), isCode("invalid-argument"));
  assert.throws(() => todos.update("nope", { x: 1 }), isCode("out-of-range"));
  assert.throws(() => todos.delete("nope"), isCode("out-of-range"));
  assert.throws(() => todos.ensureIndex(""), isCode("invalid-query"));
  // Without peers every delete is seen by all: the deleted record's values are freed.
  const freed = repo.collectGarbage();
  assert.ok(freed.containers >= 1 && freed.values >= 3, JSON.stringify(freed));
  assert.deepEqual(repo.collectGarbage(), { containers: 0, values: 0 });
  assert.equal(todos.size, 3);
  await repo.close();
});

test("two repos share a collection over BroadcastChannel: live queries update on both", async () => {
  const room = `collection-${Math.random()}`;
  const [one, two] = [new Repo({ network: [new BroadcastChannelNetwork(room)] }), new Repo({ network: [new BroadcastChannelNetwork(room)] })];
  const [mine, theirs] = [await one.collection("notes"), await two.collection("notes")];
  assert.equal(mine.id, theirs.id);
  const seen = { one: [], two: [] };
  mine.subscribe({ sort: ["n"] }, (r) => (seen.one = r.map((e) => e.record.n)));
  theirs.subscribe({ sort: ["n"] }, (r) => (seen.two = r.map((e) => e.record.n)));
  mine.insert({ n: 1 });
  theirs.insert({ n: 2 });
  await until(() => seen.one.length === 2 && seen.two.length === 2, "both records on both sides");
  assert.deepEqual(seen.one, [1, 2]);
  assert.deepEqual(seen.two, [1, 2]);
  await one.close();
  await two.close();
});

test("repo.share limits a document to some networks", async () => {
  const room = `share-${Math.random()}`;
  const [netA, netB] = [new BroadcastChannelNetwork(room), new BroadcastChannelNetwork(`${room}-other`)];
  const one = new Repo({ network: [netA, netB] });
  const two = new Repo({ network: [new BroadcastChannelNetwork(room)] });
  const secret = await one.collection("secret");
  const open = await one.collection("open");
  one.share(secret, [netB]);
  assert.throws(() => one.share(open, [new BroadcastChannelNetwork("x")]), isCode("invalid-argument"));
  assert.throws(() => one.share(5, [netA]), isCode("invalid-argument"));
  secret.insert({ x: 1 });
  open.insert({ x: 2 });
  const theirs = await two.collection("open");
  await until(() => theirs.size === 1, "the open collection");
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!two.docIds().includes(secret.id), "the secret collection stays on netB");
  await one.close();
  await two.close();
});

test("text cursors survive concurrent edits (UTF-16 positions)", () => {
  const a = new Doc();
  const text = a.getText("t");
  text.insert(0, "hé😀llo");
  const cursor = text.cursorAt(4); // before "l", after the surrogate pair
  assert.equal(typeof cursor, "string");
  const b = a.fork();
  b.getText("t").insert(0, ">> ");
  a.merge(b);
  assert.equal(text.indexOf(cursor), 7);
  text.delete(0, 3);
  assert.equal(text.indexOf(cursor), 4);
  assert.equal(text.indexOf(text.cursorAt(text.length)), text.length);
  assert.throws(() => text.cursorAt(3), isCode("out-of-range"), "inside a surrogate pair");
  assert.throws(() => text.indexOf("nonsense"), isCode("invalid-argument"));
});

test("undo and redo undo our own edits only, keeping remote ones, and say where the caret goes", () => {
  const a = new Doc();
  a.enableUndo({ captureInterval: 0 });
  assert.equal(a.canUndo(), false);
  const text = a.getText("t");
  text.insert(0, "hello");
  a.commit();
  // Commits in the same millisecond would join one step even with captureInterval 0.
  a.stopCapturing();
  const b = a.fork();
  b.getText("t").insert(5, " world");
  b.commit();
  text.insert(0, "¡");
  a.commit();
  a.merge(b);
  assert.equal(text.toString(), "¡hello world");
  assert.equal(a.canUndo(), true);
  const step = a.undo();
  assert.equal(text.toString(), "hello world", "our last edit undone, theirs kept");
  assert.equal(step.index, 0);
  assert.equal(step.container.toString(), "hello world");
  a.undo();
  assert.equal(text.toString(), " world");
  assert.equal(a.canRedo(), true);
  assert.equal(a.redo().index, 5);
  assert.equal(text.toString(), "hello world");
  assert.equal(a.undo().index, 0);
  assert.equal(a.undo(), undefined, "nothing more of ours");

  const scoped = new Doc();
  scoped.enableUndo({ scope: ["body"] });
  scoped.getText("body").insert(0, "x");
  scoped.getText("title").insert(0, "y");
  scoped.commit();
  scoped.undo();
  assert.deepEqual(scoped.toJSON(), { body: "", title: "y" });
  for (const bad of [5, { captureInterval: -1 }, { captureInterval: "1" }, { scope: "body" }, { scope: [1] }]) {
    assert.throws(() => scoped.enableUndo(bad), isCode("invalid-argument"), JSON.stringify(bad));
  }
});

test("presence between two repos over BroadcastChannel: appear, update, leave", async () => {
  const room = `presence-${Math.random()}`;
  const options = { presence: { throttleMs: 0, timeoutMs: 1500 } };
  const one = new Repo({ ...options, network: [new BroadcastChannelNetwork(room)] });
  const two = new Repo({ ...options, network: [new BroadcastChannelNetwork(room)] });
  const handle = await one.create();
  handle.doc.getText("t").insert(0, "hi");
  handle.doc.commit();
  const other = await two.find(handle.id);
  const events = [];
  other.on("presence", (e) => events.push(e));
  await until(() => two.peers().some((p) => p.actor), "the handshake");
  handle.presence.set({ name: "Ann", cursor: handle.doc.getText("t").cursorAt(1) });
  assert.deepEqual(handle.presence.local(), { name: "Ann", cursor: handle.doc.getText("t").cursorAt(1) });
  await until(() => other.presence.get().length === 1, "the presence to appear");
  const [peer] = other.presence.get();
  assert.equal(peer.state.name, "Ann");
  assert.equal(other.doc.getText("t").indexOf(peer.state.cursor), 1);
  assert.equal(events[0].type, "changed");
  handle.presence.set({ name: "Ann B" });
  await until(() => other.presence.get()[0]?.state.name === "Ann B", "the update");
  handle.presence.leave();
  await until(() => other.presence.get().length === 0, "the leave");
  assert.equal(events.at(-1).type, "gone");
  assert.throws(() => handle.presence.set(() => 1), isCode("invalid-argument"));
  assert.throws(() => new Repo({ presence: { timeoutMs: "x" } }), isCode("invalid-argument"));
  await one.close();
  await two.close();
});
