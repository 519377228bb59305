// The People panel: this device, the connected peers (fingerprint and colour from their key,
// transport, names from the notebook), sync status, live repo.stats(), the share link with a
// QR code, and connecting by hand with WebRTC offer/answer strings.
import type { DocHandle, PeerInfo, PeerTraffic, Repo, RepoStats, WebRtcNetwork } from "dagsync";
import { renderSVG } from "uqr";
import { colorOf, fingerprint, initials } from "./identity";
import { byId, el, friendly, toast } from "./ui";
import type { Notebook } from "./model";
import { presenceNames } from "./presence";

const TRANSPORTS: Record<string, string> = {
  "broadcast-channel": "Tab",
  webrtc: "WebRTC",
};

function avatar(actor: string | undefined, name: string | undefined): HTMLElement {
  const a = el("span", { class: "avatar" }, actor ? initials(name, actor) : "…");
  a.style.background = actor ? colorOf(actor) : "var(--muted)";
  return a;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function ms(n: number): string {
  return n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

export class PeersPanel {
  private readonly root = byId("peers-panel");
  private readonly peersList = el("ul", { class: "people", "data-testid": "peer-list" });
  private readonly stats = el("dl", { class: "stats", "data-testid": "repo-stats" });
  private readonly status = byId("sync-status");
  private readonly nameInput = el("input", {
    class: "name-input",
    placeholder: "Your name",
    "aria-label": "Your name",
    autocomplete: "off",
  });
  private readonly me: HTMLElement;
  private readonly myAvatar: HTMLElement;
  private readonly link: HTMLInputElement;

  constructor(
    private readonly notebook: Notebook,
    private readonly repo: Repo,
    private readonly webrtc: WebRtcNetwork,
    private readonly handle: DocHandle,
  ) {
    const actor = notebook.doc.actor;
    this.nameInput.value = notebook.personName(actor) ?? "";
    this.nameInput.addEventListener("change", () => {
      notebook.people.set(actor, this.nameInput.value.trim());
      notebook.doc.commit();
      this.onName();
    });
    // Built once: re-rendering must never move the name field (moving a focused input blurs
    // it, and the blur's change event would render again in the middle of the move).
    this.myAvatar = avatar(actor, undefined);
    this.me = el(
      "div",
      { class: "me" },
      this.myAvatar,
      el("div", { class: "who" }, this.nameInput, el("code", { class: "fp", title: actor }, fingerprint(actor))),
    );
    this.link = el("input", { class: "link", readonly: "", "aria-label": "Share link" });
    this.link.value = location.href;
    const copy = el("button", { class: "button", type: "button" }, "Copy");
    copy.addEventListener("click", () => this.copyLink());
    const qr = el("div", { class: "qr", "data-testid": "qr" });
    qr.innerHTML = renderSVG(location.href, { border: 1 });

    this.root.append(
      el("h3", {}, "You"),
      this.me,
      el("h3", {}, "In this notebook"),
      this.peersList,
      el("h3", {}, "Invite"),
      el("p", { class: "hint" }, "Anyone with the link joins this notebook, on this network or over the internet through the signaling server."),
      el("div", { class: "row" }, this.link, copy),
      qr,
      this.manual(),
      el("h3", {}, "Sync engine"),
      this.stats,
    );
    repo.on("peer", () => this.render());
    window.addEventListener("online", () => this.render());
    window.addEventListener("offline", () => this.render());
    window.setInterval(() => this.render(), 1000);
    this.render();
  }

  /** Called when our name changed (presence republishes it). */
  onName: () => void = () => {};

  onChange(): void {
    this.render();
  }

  /** The Share button: copies the link and shows the invite. */
  share(): void {
    byId("tab-peers").click();
    this.link.scrollIntoView({ behavior: "smooth", block: "center" });
    this.copyLink();
  }

  private copyLink(): void {
    this.link.select();
    navigator.clipboard.writeText(location.href).then(
      () => toast("Link copied: open it on another device to join."),
      () => toast("Select the link and copy it to share the notebook."),
    );
  }

  private render(): void {
    const actor = this.notebook.doc.actor;
    const myName = this.notebook.personName(actor);
    if (document.activeElement !== this.nameInput) this.nameInput.value = myName ?? "";
    this.myAvatar.textContent = initials(myName, actor);
    const peers = this.repo.peers();
    const stats = this.repo.stats();
    const traffic = (p: PeerInfo) => stats.perPeer.find((t) => t.id === p.id && t.network === p.network);
    const live = presenceNames(this.handle);
    const rows = peers.map((p) => this.peerRow(p, live, traffic(p)));
    if (rows.length === 0) {
      rows.push(
        el("li", { class: "people-empty" }, navigator.onLine ? "Nobody else yet. Share the link!" : "You are offline: edits are saved here and sync when you are back."),
      );
    }
    this.peersList.replaceChildren(...rows);
    this.renderStatus(peers);
    this.renderStats(stats);
  }

  private peerRow(peer: PeerInfo, live: Map<string, string>, traffic: PeerTraffic | undefined): HTMLElement {
    const name = peer.actor ? (live.get(peer.actor) ?? this.notebook.personName(peer.actor)) : undefined;
    const row = el(
      "li",
      { class: "person", "data-actor": peer.actor ?? "" },
      avatar(peer.actor, name),
      el(
        "div",
        { class: "who" },
        el("span", { class: "name" }, name ?? (peer.actor ? "Anonymous" : "Connecting…")),
        el("code", { class: "fp", title: peer.actor ?? peer.id }, peer.actor ? fingerprint(peer.actor) : peer.id.slice(0, 12)),
        traffic ? el("span", { class: "traffic" }, `↑ ${bytes(traffic.bytesSent)} · ↓ ${bytes(traffic.bytesReceived)}`) : "",
      ),
      el("span", { class: `badge ${peer.network}` }, TRANSPORTS[peer.network] ?? peer.network),
    );
    if (!peer.actor) row.classList.add("pending");
    return row;
  }

  private renderStatus(peers: PeerInfo[]): void {
    const devices = peers.filter((p) => p.network === "webrtc").length;
    const tabs = peers.length - devices;
    let text: string;
    let kind: string;
    if (!navigator.onLine && peers.length === 0) {
      text = "Offline · saved on this device";
      kind = "offline";
    } else if (peers.length === 0) {
      text = "Saved on this device";
      kind = "local";
    } else {
      const parts = [];
      if (devices) parts.push(`${devices} device${devices > 1 ? "s" : ""}`);
      if (tabs) parts.push(`${tabs} tab${tabs > 1 ? "s" : ""}`);
      text = `Live · ${parts.join(", ")}`;
      kind = "live";
    }
    this.status.textContent = text;
    this.status.className = `pill ${kind}`;
  }

  private renderStats(s: RepoStats): void {
    const latency = s.syncLatencyMs;
    const cells: [string, string][] = [
      ["Documents", String(s.docs)],
      ["Peers", String(s.peers)],
      ["Sent", `${s.framesSent} frames · ${bytes(s.bytesSent)}`],
      ["Received", `${s.framesReceived} frames · ${bytes(s.bytesReceived)}`],
      ["Sync latency", latency ? `${ms(latency.p50)} median · ${ms(latency.p95)} p95` : "—"],
      ["Refused", String(s.refused)],
      ["Storage", s.pendingWrites ? "Saving…" : "Up to date"],
    ];
    this.stats.replaceChildren(...cells.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  /** Connecting by hand: offer and answer strings copied between devices. */
  private manual(): HTMLElement {
    const out = el("textarea", { class: "code", readonly: "", rows: "3", "aria-label": "Your offer or answer" });
    const input = el("textarea", { class: "code", rows: "3", placeholder: "Paste an offer or an answer here", "aria-label": "Paste an offer or answer" });
    const offer = el("button", { class: "button", type: "button" }, "1. Create offer");
    const accept = el("button", { class: "button", type: "button" }, "Use pasted text");
    const run = (what: string, job: () => Promise<void>) => {
      job().catch((err: unknown) => toast(friendly(what, err), "error"));
    };
    offer.addEventListener("click", () =>
      run("Creating an offer failed", async () => {
        out.value = "Gathering connection details…";
        out.value = await this.webrtc.createOffer();
        out.select();
      }),
    );
    accept.addEventListener("click", () =>
      run("That text could not be used", async () => {
        const text = input.value.trim();
        if (!text) return;
        try {
          out.value = await this.webrtc.acceptOffer(text);
          toast("Answer ready: send it back to the device that made the offer.");
        } catch {
          await this.webrtc.acceptAnswer(text);
          toast("Connected by hand.");
        }
        input.value = "";
      }),
    );
    return el(
      "details",
      { class: "manual" },
      el("summary", {}, "Connect without a server"),
      el("p", { class: "hint" }, "Device A creates an offer and sends it to B; B pastes it and sends back the answer; A pastes the answer."),
      el("div", { class: "row" }, offer),
      out,
      input,
      el("div", { class: "row" }, accept),
    );
  }
}
