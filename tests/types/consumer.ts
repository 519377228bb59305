// A typed consumer of the package's declarations: `tsc -p tests/types` (run by `./x test`)
// checks that the API of ../shared/API.md ("Documents") is declared with precise types. Lines
// marked @ts-expect-error must stay errors: they are misuses the types must reject.
import {
  BroadcastChannelNetwork,
  Collection,
  type CollectionRecord,
  type PeerPresence,
  Presence,
  type PresenceEvent,
  type Query,
  type QueryPlan,
  type RecordEntry,
  type UndoResult,
  type ChangeEvent,
  type ContainerKind,
  CounterHandle,
  DagsyncError,
  type DagsyncErrorCode,
  Doc,
  DocHandle,
  type DocumentEvent,
  IndexedDbStorage,
  type PeerEvent,
  type PeerInfo,
  Repo,
  type RepoStats,
  type HistoryEntry,
  type IceServer,
  type ImportResult,
  type Item,
  ListHandle,
  MapHandle,
  type Patch,
  type ReconnectOptions,
  RegisterHandle,
  SetHandle,
  SyncState,
  TextHandle,
  type Value,
  WebRtcNetwork,
  type WebRtcNetworkOptions,
} from "dagsync";
import initWeb, { Doc as WebDoc } from "dagsync/web";
import {
  DagsyncError as CoreError,
  Doc as CoreDoc,
  SyncState as CoreSyncState,
  type TextHandle as CoreText,
  type Value as CoreValue,
} from "dagsync/core";
import initCoreWeb, { Doc as CoreWebDoc } from "dagsync/core/web";
// @ts-expect-error the core entry has documents only: no Repo
import { Repo as NoRepo } from "dagsync/core";

/** Fails to compile unless `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const doc: Doc = new Doc();
const keyed: Doc = new Doc({ secretKey: "00".repeat(32) });
const actor: string = doc.actor;
// @ts-expect-error the actor is read-only
doc.actor = keyed.actor;
// @ts-expect-error a secret key is a hex string
new Doc({ secretKey: new Uint8Array(32) });

// Text: UTF-16 positions.
const text: TextHandle = doc.getText("body");
text.insert(0, "hello");
text.delete(0, 1);
const content: string = text.toString();
const textLength: number = text.length;
// @ts-expect-error positions are numbers
text.insert("0", "x");

// List.
const list: ListHandle = doc.getList("items");
list.insert(0, 1);
list.push({ nested: [1n, "two", null, new Uint8Array(1)] });
list.delete(0, 1);
const first: Item | undefined = list.get(0);
const listLength: number = list.length;
const items: Item[] = list.toArray();
const nestedText: TextHandle = list.insertContainer(0, "text");
// @ts-expect-error functions are not values
list.push(() => 1);
// @ts-expect-error undefined is not a value
list.push(undefined);

// Map, with setContainer returning the handle of the kind asked for.
const map: MapHandle = doc.getMap("meta");
map.set("title", "Notes");
const title: Item | undefined = map.get("title");
map.delete("title");
const keys: string[] = map.keys();
const conflicts: Item[] = map.conflicts("title");
const plain: { [key: string]: Value } = map.toJSON();
const childMap: MapHandle = map.setContainer("m", "map");
const childList: ListHandle = map.setContainer("l", "list");
const childText: TextHandle = map.setContainer("t", "text");
const childCounter: CounterHandle = map.setContainer("c", "counter");
const childSet: SetHandle = map.setContainer("s", "set");
const childRegister: RegisterHandle = map.setContainer("r", "register");
const anyKind = "map" as ContainerKind;
const someHandle: MapHandle | ListHandle | TextHandle | CounterHandle | SetHandle | RegisterHandle =
  map.setContainer("any", anyKind);
// @ts-expect-error a text container is not a list
const wrongHandle: ListHandle = map.setContainer("t2", "text");
// @ts-expect-error unknown container kinds are rejected
map.setContainer("x", "tree");
if (title instanceof TextHandle) {
  const narrowed: string = title.toString();
}

// Counter, set, register.
const counter: CounterHandle = doc.getCounter("n");
counter.increment();
counter.increment(2);
counter.increment(2n);
counter.decrement();
counter.decrement(3);
const total: number = counter.value;
const set: SetHandle = doc.getSet("tags");
set.add("a");
set.remove("a");
const has: boolean = set.has("a");
const members: Value[] = set.values();
const register: RegisterHandle = doc.getRegister("state");
register.set({ on: true });
const current: Item | undefined = register.value;
const registerConflicts: Item[] = register.conflicts();
const registerList: ListHandle = register.setContainer("list");

// Document-level calls.
const hash: string | undefined = doc.commit();
const hashWithMessage: string | undefined = doc.commit("message");
const heads: string[] = doc.heads();
const json: Record<string, any> = doc.toJSON();
const unsubscribe: () => void = doc.subscribe((event: ChangeEvent) => {
  const origin: "local" | "remote" = event.origin;
  for (const patch of event.patches) {
    const p: Patch = patch;
    if (p.action === "text-insert") {
      const inserted: string = p.text;
      const at: number = p.index;
    } else if (p.action === "map-put") {
      const key: string = p.key;
      const value: Item = p.value;
    }
  }
});
unsubscribe();
const stopUpdates: () => void = doc.subscribeLocalUpdates((update: Uint8Array) => {
  const result: ImportResult = keyed.importChanges(update);
  const counts: number = result.applied + result.pending;
});
stopUpdates();
const saved: Uint8Array = doc.save();
const loaded: Doc = Doc.load(saved);
const all: Uint8Array = doc.exportChanges();
const since: Uint8Array = doc.exportChanges(heads);
const imported: ImportResult = loaded.importChanges(since);
const forked: Doc = doc.fork();
doc.merge(forked);
const branch: Doc = doc.forkAt(heads);
const keyedBranch: Doc = doc.forkAt(heads, { secretKey: "11".repeat(32) });
const view: Doc = doc.view(heads);
const history: HistoryEntry[] = doc.history();
for (const entry of history) {
  const fields: [string, string, number, string[], number, string | undefined] = [
    entry.hash,
    entry.actor,
    entry.seq,
    entry.deps,
    entry.time,
    entry.message,
  ];
}
// @ts-expect-error heads are hex strings
doc.view([1, 2]);
// @ts-expect-error merge takes a document
doc.merge(saved);

// Errors.
try {
  Doc.load(new Uint8Array([1, 2, 3]));
} catch (err) {
  if (err instanceof DagsyncError) {
    const code: DagsyncErrorCode = err.code;
    const message: string = err.message;
    const isError: Error = err;
  }
}
assertType<Equal<ReturnType<Doc["heads"]>, string[]>>();

// Sync over any transport.
const peer: SyncState = new SyncState();
const outgoing: Uint8Array | undefined = doc.generateSyncMessage(peer);
if (outgoing !== undefined) doc.receiveSyncMessage(peer, outgoing);
const persisted: SyncState = SyncState.decode(peer.encode());
// @ts-expect-error a message is bytes
doc.receiveSyncMessage(peer, "hello");
assertType<Equal<ReturnType<Doc["generateSyncMessage"]>, Uint8Array | undefined>>();
assertType<Equal<ReturnType<Doc["commit"]>, string | undefined>>();

// Networks (given to a Repo): BroadcastChannel between tabs, WebRTC between tabs and devices.
const tabs: BroadcastChannelNetwork = new BroadcastChannelNetwork("room");
const tabsRoom: string = tabs.room;
const tabsSelf: string = tabs.peerId;
const tabsPeers: string[] = tabs.peers;
// @ts-expect-error the room is a string
new BroadcastChannelNetwork({ room: "room" });
// @ts-expect-error the peer id is read-only
tabs.peerId = "x";
const ice: IceServer[] = [
  { urls: "stun:stun.example.org" },
  { urls: ["turn:turn.example.org"], username: "u", credential: "c" },
];
const reconnect: ReconnectOptions = { initialDelayMs: 250, maxDelayMs: 30_000, maxAttempts: 12 };
const rtcOptions: WebRtcNetworkOptions = {
  room: "room",
  signaling: ["ws://localhost:4444"],
  broadcastChannel: true,
  iceServers: ice,
  highWaterMark: 1 << 20,
  lowWaterMark: 256 << 10,
  maxQueueBytes: 64 << 20,
  connectTimeoutMs: 15_000,
  gatherTimeoutMs: 3_000,
  reconnect,
};
const rtc: WebRtcNetwork = new WebRtcNetwork(rtcOptions);
const minimal: WebRtcNetwork = new WebRtcNetwork({ room: "room" });
const rtcPeers: string[] = rtc.peers;
const rtcSelf: string = rtc.peerId;
// @ts-expect-error a room is required
new WebRtcNetwork({ signaling: ["ws://localhost:4444"] });
// @ts-expect-error signaling servers are a list of URLs
new WebRtcNetwork({ room: "r", signaling: "ws://localhost:4444" });
// @ts-expect-error ICE servers need urls
new WebRtcNetwork({ room: "r", iceServers: [{ username: "u" }] });
async function manual(other: WebRtcNetwork): Promise<void> {
  const offer: string = await rtc.createOffer();
  const answer: string = await other.acceptOffer(offer);
  const done: void = await rtc.acceptAnswer(answer);
  // @ts-expect-error offers are strings
  await other.acceptOffer({ sdp: "" });
}
assertType<Equal<ReturnType<WebRtcNetwork["createOffer"]>, Promise<string>>>();
// Repo: storage + networks + many documents.
async function repos(): Promise<void> {
  const storage: IndexedDbStorage = new IndexedDbStorage("my-app");
  const name: string = storage.name;
  const repo: Repo = new Repo({ storage, network: [] });
  const inMemory: Repo = new Repo();
  const keyedRepo: Repo = new Repo({ secretKey: "22".repeat(32) });
  const handle: DocHandle = await repo.create();
  const found: DocHandle = await repo.find(handle.id);
  const id: string = found.id;
  const handleDoc: Doc = handle.doc;
  handleDoc.getText("t").insert(0, "x");
  handleDoc.commit();
  const offChange: () => void = handle.on("change", (e: ChangeEvent) => {
    const origin: "local" | "remote" = e.origin;
  });
  offChange();
  await handle.flushed();
  const peers: PeerInfo[] = repo.peers();
  const actorOfPeer: string | undefined = peers[0]?.actor;
  const offPeer: () => void = repo.on("peer", (e: PeerEvent) => {
    const kind: "connected" | "authenticated" | "disconnected" | "banned" = e.type;
    const network: string = e.peer.network;
  });
  repo.on("error", (e: DagsyncError) => {
    const code: DagsyncErrorCode = e.code;
    if (code === "quota-exceeded" || code === "storage-failed") return;
  });
  repo.on("document", (e: DocumentEvent) => {
    const docId: string = e.id;
  });
  offPeer();
  const stats: RepoStats = repo.stats();
  const counts: [number, number, number, boolean] = [stats.docs, stats.peers, stats.bytesSent, stats.pendingWrites];
  const p95: number | undefined = stats.syncLatencyMs?.p95;
  const perPeer: [string, number][] = stats.perPeer.map((t) => [t.network, t.bytesReceived]);
  const ids: string[] = repo.docIds();
  await repo.close();
  await inMemory.close();
  await keyedRepo.close();
  // @ts-expect-error storage is an IndexedDbStorage
  new Repo({ storage: "my-app" });
  // @ts-expect-error unknown event
  repo.on("nope", () => {});
  // @ts-expect-error a handle has change events only
  handle.on("peer", () => {});
}

// Presence, stable cursors, undo/redo (issue 11).
async function collaboration(repo: Repo, handle: DocHandle): Promise<void> {
  const presence: Presence = handle.presence;
  const text = handle.doc.getText("body");
  const cursor: string = text.cursorAt(0);
  const at: number = text.indexOf(cursor);
  presence.set({ name: "Ann", colour: "#f00", cursor });
  const peers: PeerPresence[] = presence.get();
  const actorOf: string | undefined = peers[0]?.actor;
  const mine = presence.local();
  presence.leave();
  const off: () => void = handle.on("presence", (e: PresenceEvent) => {
    if (e.type === "changed") {
      const state = e.state;
    } else {
      const gone: string = e.actor;
    }
  });
  off();
  const paced = new Repo({ presence: { throttleMs: 50, timeoutMs: 10_000 } });
  handle.doc.enableUndo();
  handle.doc.enableUndo({ captureInterval: 300, scope: ["body"] });
  const undone: UndoResult | undefined = handle.doc.undo();
  const caret: number | undefined = undone?.index;
  handle.doc.redo();
  const flags: [boolean, boolean] = [handle.doc.canUndo(), handle.doc.canRedo()];
  handle.doc.stopCapturing();
  // @ts-expect-error scope names root containers
  handle.doc.enableUndo({ scope: [text] });
  // @ts-expect-error a cursor is a string
  text.indexOf(3);
  await paced.close();
}

// Collections with queries (issue 12).
async function collections(repo: Repo, network: BroadcastChannelNetwork): Promise<void> {
  const todos: Collection = await repo.collection("todos");
  const id: string = todos.insert({ title: "x", done: false, priority: 2, tags: ["a"] });
  const record: CollectionRecord | undefined = todos.get(id);
  todos.update(id, { done: true });
  const query: Query = {
    where: { done: false, priority: { $gte: 2 }, $or: [{ "owner.name": { $prefix: "Al" } }, { due: { $exists: false } }] },
    sort: ["-priority", "title"],
    limit: 10,
    offset: 0,
  };
  const found: RecordEntry[] = todos.find(query);
  const all: RecordEntry[] = todos.find();
  const stop: () => void = todos.subscribe(query, (results: RecordEntry[]) => {
    const first: string | undefined = results[0]?.id;
  });
  stop();
  todos.ensureIndex("priority");
  const plan: QueryPlan = todos.explain(query);
  const access: "eq" | "in" | "range" | "prefix" | "scan" = plan.access;
  const count: number = todos.size;
  todos.delete(id);
  repo.share(todos, [network]);
  repo.share(todos.id, [network]);
  const freed: { containers: number; values: number } = repo.collectGarbage();
  // @ts-expect-error sort is an array of field paths
  todos.find({ sort: "title" });
  // @ts-expect-error a record is an object
  todos.insert(5);
}

// The web build: the same classes after init().
async function web(): Promise<void> {
  await initWeb();
  const webDoc: WebDoc = new WebDoc();
  webDoc.getText("t").insert(0, "x");
}

// The core entry: the same documents API, in a smaller module without the Repo.
async function coreEntry(): Promise<CoreValue> {
  const coreDoc = new CoreDoc();
  const body: CoreText = coreDoc.getText("body");
  body.insert(0, "x");
  coreDoc.commit();
  const message: Uint8Array | undefined = coreDoc.generateSyncMessage(new CoreSyncState());
  if (message === undefined) throw new CoreError("internal", "no message");
  await initCoreWeb();
  new CoreWebDoc().getList("l").push(1);
  return coreDoc.toJSON();
}

export {
  coreEntry, NoRepo,
  actor, content, textLength, first, listLength, items, nestedText, keys, conflicts, plain,
  childMap, childList, childText, childCounter, childSet, childRegister, someHandle, wrongHandle,
  total, has, members, current, registerConflicts, registerList, hash, hashWithMessage, json,
  all, imported, branch, keyedBranch, view, web, persisted, tabsRoom, tabsSelf, tabsPeers,
  minimal, rtcPeers, rtcSelf, manual, repos, collaboration, collections,
};
