// Node tests of the container handles of the built package: text, list, map, counter, set,
// register, nested containers and values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DagsyncError, Doc, ListHandle, MapHandle, TextHandle, CounterHandle, SetHandle, RegisterHandle } from "dagsync";

test("text positions count UTF-16 code units like JS strings", () => {
  const doc = new Doc();
  const text = doc.getText("body");
  let mirror = "";
  const edit = (index, del, ins) => {
    if (del) text.delete(index, del);
    if (ins) text.insert(index, ins);
    mirror = mirror.slice(0, index) + ins + mirror.slice(index + del);
    assert.equal(text.toString(), mirror);
    assert.equal(text.length, mirror.length);
  };
  edit(0, 0, "hello");
  edit(5, 0, " 🦀 wörld");
  edit(6, 2, "🎉🎉");
  edit(0, 1, "H");
  edit(mirror.length, 0, "!");
  assert.equal(text.toString(), "Hello 🎉🎉 wörld!");
  assert.throws(() => text.insert(7, "x"), { name: "DagsyncError", code: "out-of-range" });
  assert.throws(() => text.delete(6, 1), { code: "out-of-range" });
  assert.throws(() => text.delete(0, 1000), { code: "out-of-range" });
  assert.equal(text.toString(), mirror);
  assert.equal(JSON.stringify({ t: text }), JSON.stringify({ t: mirror }));
});

test("values of every supported type round-trip through a list", () => {
  const doc = new Doc();
  const list = doc.getList("items");
  const values = [null, true, false, 0, -1.5, 2 ** 53, 42n, -(2n ** 63n), "", "ẞtring", new Uint8Array([0, 255]), [1, [2n, "x"]], { a: { b: [null] }, "": 1 }, Object.assign(Object.create(null), { n: 1 })];
  for (const v of values) list.push(v);
  assert.equal(list.length, values.length);
  assert.deepEqual(list.toArray(), values.map((v) => (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array) ? { ...v } : v)));
  list.insert(0, "first");
  list.delete(1, 2);
  assert.equal(list.get(0), "first");
  assert.equal(list.get(1), false);
  assert.equal(list.get(100), undefined);
  assert.throws(() => list.insert(100, 1), { code: "out-of-range" });
  assert.throws(() => list.delete(0, 100), { code: "out-of-range" });
  assert.deepEqual(list.toJSON(), list.toArray());
});

test("map: set, get, delete, keys, conflicts, toJSON and nested containers", () => {
  const doc = new Doc();
  const map = doc.getMap("meta");
  map.set("b", 1);
  map.set("a", "x");
  map.set("a", "y");
  assert.deepEqual(map.keys(), ["a", "b"]);
  assert.equal(map.get("a"), "y");
  assert.deepEqual(map.conflicts("a"), ["y"]);
  map.delete("b");
  assert.equal(map.get("b"), undefined);
  assert.deepEqual(map.conflicts("b"), []);

  const kinds = { map: MapHandle, list: ListHandle, text: TextHandle, counter: CounterHandle, set: SetHandle, register: RegisterHandle };
  for (const [kind, cls] of Object.entries(kinds)) {
    assert.ok(map.setContainer(kind, kind) instanceof cls, kind);
    assert.ok(map.get(kind) instanceof cls, kind);
  }
  map.get("text").insert(0, "nested");
  map.get("list").push(1);
  map.get("map").setContainer("deeper", "counter").increment(2);
  map.get("counter").increment();
  map.get("set").add("s");
  map.get("register").set({ on: true });
  assert.deepEqual(map.toJSON(), {
    a: "y",
    counter: 1n,
    list: [1],
    map: { deeper: 2n },
    register: { on: true },
    set: ["s"],
    text: "nested",
  });
  assert.deepEqual(doc.toJSON(), { meta: map.toJSON() });
});

test("concurrent map sets keep a winner and show conflicts", () => {
  const a = new Doc();
  a.getMap("m").set("k", "base");
  a.commit();
  const b = a.fork();
  a.getMap("m").set("k", "from a");
  a.commit();
  b.getMap("m").set("k", "from b");
  b.commit();
  a.merge(b);
  b.merge(a);
  assert.equal(a.getMap("m").get("k"), b.getMap("m").get("k"));
  assert.deepEqual(a.getMap("m").conflicts("k").sort(), ["from a", "from b"]);
  assert.equal(a.getMap("m").conflicts("k")[0], a.getMap("m").get("k"));
});

test("counter: increment and decrement by numbers and bigints, concurrently", () => {
  const a = new Doc();
  const counter = a.getCounter("n");
  counter.increment();
  counter.increment(10);
  counter.decrement();
  counter.decrement(3n);
  assert.equal(counter.value, 7);
  a.commit();
  const b = a.fork();
  a.getCounter("n").increment(5);
  b.getCounter("n").decrement(2);
  a.merge(b);
  assert.equal(a.getCounter("n").value, 10);
  assert.throws(() => counter.increment("1"), { code: "invalid-argument" });
  assert.throws(() => counter.increment(2 ** 60), { code: "invalid-argument" });
});

test("set: add wins over a concurrent remove; members compare by content", () => {
  const a = new Doc();
  const set = a.getSet("tags");
  set.add("x");
  set.add([1, 2]);
  set.add(new Uint8Array([7]));
  assert.ok(set.has([1, 2]));
  assert.ok(set.has(new Uint8Array([7])));
  assert.ok(!set.has("y"));
  set.remove([1, 2]);
  assert.deepEqual(set.values(), ["x", new Uint8Array([7])]);
  a.commit();
  const b = a.fork();
  a.getSet("tags").remove("x");
  b.getSet("tags").add("x");
  a.commit();
  b.commit();
  a.merge(b);
  assert.ok(a.getSet("tags").has("x"));
});

test("register: concurrent sets are all kept until the next set", () => {
  const a = new Doc();
  const reg = a.getRegister("state");
  assert.equal(reg.value, undefined);
  assert.deepEqual(reg.conflicts(), []);
  reg.set("idle");
  a.commit();
  const b = a.fork();
  a.getRegister("state").set("running");
  b.getRegister("state").set("stopped");
  a.commit();
  b.commit();
  a.merge(b);
  assert.deepEqual(a.getRegister("state").conflicts().sort(), ["running", "stopped"]);
  a.getRegister("state").set("done");
  assert.deepEqual(a.getRegister("state").conflicts(), ["done"]);
  const inner = a.getRegister("state").setContainer("list");
  assert.ok(inner instanceof ListHandle);
  inner.push(1);
  assert.deepEqual(a.toJSON(), { state: [1] });
});

test("lists hold nested containers", () => {
  const doc = new Doc();
  const list = doc.getList("l");
  const text = list.insertContainer(0, "text");
  text.insert(0, "in a list");
  list.push(1);
  assert.ok(list.get(0) instanceof TextHandle);
  assert.deepEqual(list.toJSON(), ["in a list", 1]);
  assert.throws(() => list.insertContainer(0, "nope"), (e) => e instanceof DagsyncError && e.code === "invalid-argument");
});
