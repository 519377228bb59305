// The dagsync notebook: one dagsync document per notebook (the room, in the URL hash), kept in
// IndexedDB and synced with other tabs (BroadcastChannel) and devices (WebRTC, signaled by the
// dagsync-signal server that serves this page).
import {
  BroadcastChannelNetwork,
  IndexedDbStorage,
  Repo,
  WebRtcNetwork,
  type DocHandle,
} from "dagsync";
import { registerSW } from "virtual:pwa-register";
import { HistoryPanel } from "./history";
import { Notebook, randomId } from "./model";
import { NotesView } from "./notes";
import { PeersPanel } from "./peers";
import { PresenceView } from "./presence";
import { byId, friendly, toast } from "./ui";

const NOTEBOOK_ID = /^[0-9a-f]{32}$/;
const LAST_KEY = "dagsync-notebook:last";

/** The notebook of the URL hash, else the last one opened here, else a new one (`fresh`). */
function notebookId(): { id: string; fresh: boolean } {
  const fromHash = location.hash.slice(1);
  let id = NOTEBOOK_ID.test(fromHash) ? fromHash : (localStorage.getItem(LAST_KEY) ?? "");
  const fresh = !NOTEBOOK_ID.test(id);
  if (fresh) id = randomId(16);
  localStorage.setItem(LAST_KEY, id);
  if (fromHash !== id) history.replaceState(null, "", `#${id}`);
  return { id, fresh };
}

const WELCOME = `This notebook lives in your browser: it opens and saves without a network.

Share the link (or its QR code) and everyone who opens it edits with you, live, peer to peer: WebRTC between devices, BroadcastChannel between tabs. Concurrent edits merge; nothing waits on a server.

The History tab shows every change as a signed node of a Merkle-DAG. Drag the slider to see the notebook as it was.`;

/** The signaling server is the server of this page (dagsync-signal serves both). */
function signalingUrl(): string {
  const url = new URL("/", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  return url.href;
}

async function start(): Promise<void> {
  const { id, fresh } = notebookId();
  const room = `dagsync-notebook-${id}`;
  const webrtc = new WebRtcNetwork({
    room,
    signaling: [signalingUrl()],
    // Tabs talk over the BroadcastChannel network below; WebRTC is for other devices.
    broadcastChannel: false,
    reconnect: { initialDelayMs: 250, maxDelayMs: 2000 },
  });
  const repo = new Repo({
    storage: new IndexedDbStorage("dagsync-notebook"),
    network: [new BroadcastChannelNetwork(room), webrtc],
  });
  repo.on("error", (err) => toast(friendly("Something went wrong in the background", err), "error"));
  let handle: DocHandle;
  try {
    handle = await repo.find(id);
  } catch (err) {
    toast(friendly("The notebook could not be opened", err), "error");
    return;
  }
  const notebook = new Notebook(handle.doc);
  if (fresh && notebook.list().length === 0) {
    notebook.addNote("Welcome to your notebook", WELCOME);
    handle.doc.commit("Welcome note");
  }
  const notes = new NotesView(notebook, handle);
  const peers = new PeersPanel(notebook, repo, webrtc, handle);
  const presence = new PresenceView(notebook, handle, () => peers.onChange());
  notes.presence = presence;
  peers.onName = () => presence.publish();
  notes.select(notes.selectedId);
  const historyPanel = new HistoryPanel(notebook);
  handle.on("change", (event) => {
    notes.onChange(event);
    peers.onChange();
    historyPanel.onChange();
  });
  setupTabs(historyPanel);
  byId("share-button").addEventListener("click", () => peers.share());
  window.addEventListener("hashchange", () => location.reload());
  // For tests and the curious: the document and the repo of this page.
  Object.assign(window, { notebook: { repo, handle, doc: handle.doc, notes } });
  document.body.dataset.ready = "true";
}

function setupTabs(historyPanel: HistoryPanel): void {
  const tabs = [
    { tab: byId("tab-peers"), body: byId("peers-panel") },
    { tab: byId("tab-history"), body: byId("history-panel") },
  ];
  for (const { tab, body } of tabs) {
    tab.addEventListener("click", () => {
      for (const other of tabs) {
        const active = other.tab === tab;
        other.tab.classList.toggle("active", active);
        other.tab.setAttribute("aria-selected", String(active));
        other.body.hidden = !active;
      }
      historyPanel.setVisible(body.id === "history-panel");
    });
  }
}

window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  toast(friendly("Something went wrong", event.reason), "error");
});

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  registerSW({
    immediate: true,
    onOfflineReady: () => toast("Ready to work offline."),
    onRegisterError: (err: unknown) => console.warn("service worker registration failed", err),
  });
}

start().catch((err: unknown) => toast(friendly("The notebook could not start", err), "error"));
