// Random calls of the whole document API with random, often invalid, arguments: every failure
// must be a DagsyncError (never a wasm trap or a corrupted instance), and the documents must
// stay consistent: they save, load and converge afterwards.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DagsyncError, Doc } from "dagsync";
import { random } from "../support/random.mjs";

const cyclic = {};
cyclic.self = cyclic;
const args = [
  0, 1, 2, 3, 7, -1, 0.5, NaN, Infinity, 2 ** 32, 2 ** 53, 1n, -(2n ** 70n), "", "a", "héllo 🦀",
  "\ud800", "map", "list", "text", "counter", "set", "register", "ab".repeat(32), null, undefined,
  true, [], ["x"], [1, [2]], {}, { a: 1 }, { secretKey: "zz" }, cyclic, new Uint8Array([1, 2]),
  new Uint8Array(0), new Date(0), () => 1, Symbol("s"),
];

test("random calls with random arguments only ever throw DagsyncError", () => {
  const rand = random(7);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const docs = [new Doc(), new Doc()];
  const calls = [
    (d) => d.getText(pick(args)).insert(pick(args), pick(args)),
    (d) => d.getText("t").insert(pick([0, 1, 2, pick(args)]), pick(["x", "🦀", pick(args)])),
    (d) => d.getText("t").delete(pick(args), pick(args)),
    (d) => d.getList(pick(["l", pick(args)])).insert(pick(args), pick(args)),
    (d) => d.getList("l").push(pick(args)),
    (d) => d.getList("l").delete(pick(args), pick(args)),
    (d) => d.getList("l").get(pick(args)),
    (d) => d.getList("l").insertContainer(pick(args), pick(args)),
    (d) => d.getMap("m").set(pick(args), pick(args)),
    (d) => d.getMap("m").setContainer(pick(args), pick(args)),
    (d) => d.getMap("m").get(pick(args)),
    (d) => d.getMap("m").delete(pick(args)),
    (d) => d.getMap("m").conflicts(pick(args)),
    (d) => d.getCounter("n").increment(pick(args)),
    (d) => d.getCounter("n").decrement(pick(args)),
    (d) => d.getSet("s").add(pick(args)),
    (d) => d.getSet("s").remove(pick(args)),
    (d) => d.getSet("s").has(pick(args)),
    (d) => d.getRegister("r").set(pick(args)),
    (d) => d.getRegister("r").setContainer(pick(args)),
    (d) => d.commit(pick([undefined, "msg", pick(args)])),
    (d) => d.view(pick([d.heads(), pick(args)])),
    (d) => d.forkAt(pick([d.heads(), pick(args)]), pick(args)),
    (d) => d.exportChanges(pick([undefined, d.heads(), pick(args)])),
    (d) => d.importChanges(pick([docs[0].exportChanges(), pick(args)])),
    (d) => Doc.load(pick([d.save(), pick(args)])),
    (d) => d.merge(pick(docs)),
    (d) => d.toJSON(),
    (d) => d.history(),
  ];
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const doc = pick(docs);
    try {
      pick(calls)(doc);
    } catch (err) {
      assert.ok(err instanceof DagsyncError, `call ${i}: ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(typeof err.code, "string");
      failures++;
    }
  }
  assert.ok(failures > 500, `only ${failures} refused calls: the arguments are not hostile enough`);
  const [a, b] = docs;
  a.merge(b);
  b.merge(a);
  assert.deepEqual(a.heads(), b.heads());
  assert.deepEqual(
    JSON.stringify(a.toJSON(), (_, v) => (typeof v === "bigint" ? `${v}n` : v)),
    JSON.stringify(b.toJSON(), (_, v) => (typeof v === "bigint" ? `${v}n` : v)),
  );
  const loaded = Doc.load(a.save());
  assert.deepEqual(loaded.heads(), a.heads());
  assert.equal(loaded.getText("t").toString(), a.getText("t").toString());
});
