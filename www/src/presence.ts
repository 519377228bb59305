// Presence in the notebook: each peer publishes its name, colour, open note and caret/selection
// (as stable cursors, `text.cursorAt`) with `handle.presence.set`; remote carets and selections
// are drawn over the note body in the peer's colour, at `text.indexOf(cursor)` (so they stay on
// the same characters through concurrent edits).
import type { DocHandle, PeerPresence, TextHandle, Value } from "dagsync";
import { colorOf } from "./identity";
import type { Notebook } from "./model";
import { byId, el, everyFrame } from "./ui";

/** What this app publishes. */
export interface PresenceState {
  name: string;
  color: string;
  /** The open note. */
  note?: string;
  /** The selection in its body: anchor and head cursors. */
  anchor?: string;
  head?: string;
}

function isState(value: Value): value is Value & PresenceState {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && typeof value.name === "string";
}

/** The name a peer published, by actor. */
export function presenceNames(handle: DocHandle): Map<string, string> {
  const names = new Map<string, string>();
  for (const peer of handle.presence.get()) {
    if (isState(peer.state) && peer.state.name) names.set(peer.actor, peer.state.name);
  }
  return names;
}

/** The textarea's pixel geometry of UTF-16 ranges, through a hidden mirror element styled
 * like it. */
class Mirror {
  private readonly box = el("div", { class: "caret-mirror", "aria-hidden": "true" });

  constructor(private readonly field: HTMLTextAreaElement) {
    document.body.append(this.box);
  }

  /** Rectangles (relative to the textarea's content box, scrolled) of `[from, to)`; a
   * collapsed range gives one zero-width rectangle: the caret. */
  rects(from: number, to: number): DOMRect[] {
    const style = getComputedStyle(this.field);
    for (const prop of [
      "font", "fontSize", "fontFamily", "fontWeight", "lineHeight", "letterSpacing", "padding",
      "borderWidth", "borderStyle", "boxSizing", "tabSize", "textIndent", "wordSpacing",
    ] as const) {
      this.box.style[prop] = style[prop];
    }
    // The textarea's scrollbar takes room from its text: the mirror has none.
    const borders = parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
    const scrollbar = this.field.offsetWidth - this.field.clientWidth - borders;
    this.box.style.width = `${this.field.offsetWidth - scrollbar}px`;
    const text = this.field.value;
    const mark = el("span", {}, text.slice(from, to) || "\u200b");
    this.box.replaceChildren(text.slice(0, from), mark, text.slice(to) + "\u200b");
    const origin = this.box.getBoundingClientRect();
    const rects = Array.from(mark.getClientRects()).map(
      (r) => new DOMRect(r.left - origin.left, r.top - origin.top - this.field.scrollTop, from === to ? 0 : r.width, r.height),
    );
    return rects;
  }
}

export class PresenceView {
  private readonly layer = byId("carets");
  private readonly field = byId<HTMLTextAreaElement>("note-body");
  private readonly mirror = new Mirror(this.field);
  private note: string | undefined;
  private body: TextHandle | undefined;
  private readonly queue = everyFrame(() => this.render());

  constructor(
    private readonly notebook: Notebook,
    private readonly handle: DocHandle,
    /** Called when peers' presence changed (names in the People panel). */
    private readonly onPeers: () => void,
  ) {
    handle.on("presence", () => {
      this.queue();
      this.onPeers();
    });
    const publish = () => this.publish();
    document.addEventListener("selectionchange", () => {
      if (document.activeElement === this.field) publish();
    });
    this.field.addEventListener("input", publish);
    this.field.addEventListener("scroll", () => this.queue());
    window.addEventListener("resize", () => this.queue());
    window.addEventListener("pagehide", () => handle.presence.leave());
  }

  /** The note now open (and its body), or none. */
  open(note: string | undefined, body: TextHandle | undefined): void {
    this.note = note;
    this.body = body;
    this.publish();
    this.queue();
  }

  /** Publishes name, colour, note and selection. */
  publish(): void {
    const actor = this.notebook.doc.actor;
    const state: PresenceState = {
      name: this.notebook.personName(actor) ?? "",
      color: colorOf(actor),
    };
    if (this.note && this.body) {
      state.note = this.note;
      if (document.activeElement === this.field) {
        const length = this.body.length;
        const at = (i: number | null) => this.body!.cursorAt(Math.min(i ?? 0, length));
        const backward = this.field.selectionDirection === "backward";
        const [start, end] = [this.field.selectionStart, this.field.selectionEnd];
        state.anchor = at(backward ? end : start);
        state.head = at(backward ? start : end);
      }
    }
    try {
      this.handle.presence.set(state as unknown as Value);
    } catch (err) {
      console.warn("presence not sent", err);
    }
  }

  /** The document changed: carets move with the text. */
  onChange(): void {
    this.queue();
  }

  private resolve(cursor: string | undefined): number | undefined {
    if (!cursor || !this.body) return undefined;
    try {
      return this.body.indexOf(cursor);
    } catch {
      return undefined;
    }
  }

  private render(): void {
    const marks: HTMLElement[] = [];
    const peers: PeerPresence[] = this.note ? this.handle.presence.get() : [];
    const top = this.field.offsetTop;
    const left = this.field.offsetLeft;
    for (const peer of peers) {
      if (!isState(peer.state) || peer.state.note !== this.note) continue;
      const head = this.resolve(peer.state.head);
      const anchor = this.resolve(peer.state.anchor) ?? head;
      if (head === undefined || anchor === undefined) continue;
      const color = peer.state.color || colorOf(peer.actor);
      const [from, to] = anchor <= head ? [anchor, head] : [head, anchor];
      if (from !== to) {
        for (const r of this.mirror.rects(from, to)) {
          const sel = el("div", { class: "remote-selection" });
          Object.assign(sel.style, { left: `${left + r.left}px`, top: `${top + r.top}px`, width: `${r.width}px`, height: `${r.height}px`, background: color });
          marks.push(sel);
        }
      }
      const caret = this.mirror.rects(head, head)[0];
      if (!caret) continue;
      const name = peer.state.name || this.notebook.personName(peer.actor) || "Anonymous";
      const mark = el(
        "div",
        { class: "remote-caret", "data-actor": peer.actor, "data-index": String(head), "data-testid": "remote-caret" },
        el("span", { class: "remote-name" }, name),
      );
      Object.assign(mark.style, { left: `${left + caret.left}px`, top: `${top + caret.top}px`, height: `${caret.height}px`, borderColor: color });
      (mark.firstChild as HTMLElement).style.background = color;
      const visible = caret.top + caret.height > 0 && caret.top < this.field.clientHeight;
      mark.hidden = !visible;
      marks.push(mark);
    }
    this.layer.replaceChildren(...marks);
  }
}
