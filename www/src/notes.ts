// The notes list (sidebar) and the note editor: title and body bound to dagsync Texts, tags in
// a Set, likes in a Counter, the last-edit time in a Register.
import type { ChangeEvent, DocHandle, Patch } from "dagsync";
import { ago, byId, el, everyFrame } from "./ui";
import { Notebook, updatedAt, type Note } from "./model";
import type { PresenceView } from "./presence";
import { TextBinding } from "./textbind";

/** How often at most the note's `updated` register is set while typing. */
const TOUCH_MS = 5000;

export class NotesView {
  private selected: string | undefined;
  /** The selected note's index in the list, kept current through list patches. */
  private selectedIndex = -1;
  private title: TextBinding | undefined;
  private body: TextBinding | undefined;
  private lastTouch = 0;
  private readonly queueRender = everyFrame(() => this.render());

  get selectedId(): string | undefined {
    return this.selected;
  }

  /** Told which note is open (set once the presence view exists). */
  presence: PresenceView | undefined;

  private readonly list = byId<HTMLUListElement>("note-list");
  private readonly search = byId<HTMLInputElement>("search");
  private readonly name = byId<HTMLInputElement>("notebook-name");

  constructor(
    private readonly notebook: Notebook,
    private readonly handle: DocHandle,
  ) {
    byId("new-note").addEventListener("click", () => this.create());
    this.search.addEventListener("input", () => this.renderList());
    this.name.value = notebook.meta.get("name") === undefined ? "" : notebook.name();
    this.name.addEventListener("change", () => {
      notebook.meta.set("name", this.name.value.trim());
      this.commit();
    });
    byId("like").addEventListener("click", () => this.withNote((n) => n.likes.increment()));
    byId("delete-note").addEventListener("click", () => this.remove());
    const tagInput = byId<HTMLInputElement>("tag-input");
    tagInput.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      const tag = tagInput.value.trim().replace(/^#/, "").toLowerCase();
      tagInput.value = "";
      if (tag) this.withNote((n) => n.tags.add(tag));
    });
    // Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) undo and redo this device's own edits only.
    handle.doc.enableUndo({ captureInterval: 500, scope: ["notes", "meta"] });
    document.addEventListener("keydown", (event) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key === "z" || key === "y") {
        event.preventDefault();
        this.undo(key === "y" || event.shiftKey);
      }
    });
    const first = notebook.list()[0];
    if (first) this.select(first.id);
    this.render();
  }

  /** Undoes (or redoes) the last step of our own edits; the caret goes where it happened. */
  undo(redo: boolean): void {
    const doc = this.handle.doc;
    const step = redo ? doc.redo() : doc.undo();
    if (!step) return;
    if (!this.current()) {
      this.select(this.notebook.list()[0]?.id);
      return;
    }
    this.title?.refresh();
    this.body?.refresh();
    const focused = [this.title, this.body].find((b) => b && document.activeElement === b.field);
    if (focused && step.index !== undefined && String(step.container) === focused.field.value) {
      focused.field.setSelectionRange(step.index, step.index);
    }
    this.render();
  }

  private commit(): void {
    this.handle.doc.commit();
  }

  /** Edits the selected note with `edit`, marks it updated and commits. */
  private withNote(edit: (note: Note) => void): void {
    const note = this.current();
    if (!note) return;
    edit(note);
    this.touch(note, true);
    this.commit();
    this.handle.doc.stopCapturing();
  }

  private touch(note: Note, force = false): void {
    const now = Date.now();
    if (force || now - this.lastTouch > TOUCH_MS) {
      note.updated.set(now);
      this.lastTouch = now;
    }
  }

  private current(): Note | undefined {
    return this.selected === undefined ? undefined : this.notebook.find(this.selected);
  }

  create(): void {
    const id = this.notebook.addNote("Untitled note");
    this.handle.doc.commit("New note");
    this.select(id);
    const title = byId<HTMLInputElement>("note-title");
    title.focus();
    title.select();
  }

  private remove(): void {
    const note = this.current();
    if (!note) return;
    this.notebook.deleteNote(note.id);
    this.handle.doc.commit(`Deleted “${note.title.toString() || "Untitled"}”`);
    this.select(this.notebook.list()[0]?.id);
  }

  select(id: string | undefined): void {
    this.title?.destroy();
    this.body?.destroy();
    this.title = this.body = undefined;
    this.selected = id;
    const note = this.current();
    this.selectedIndex = note?.index ?? -1;
    byId("note").hidden = !note;
    byId("empty").hidden = !!note;
    if (note) {
      const commit = () => {
        const fresh = this.current();
        if (fresh) this.touch(fresh);
        this.commit();
      };
      this.title = new TextBinding(byId("note-title"), note.title, commit);
      this.body = new TextBinding(byId("note-body"), note.body, commit);
      // Typing in another field starts a new undo step.
      for (const binding of [this.title, this.body]) {
        binding.field.onfocus = () => this.handle.doc.stopCapturing();
      }
    }
    this.presence?.open(note?.id, note?.body);
    this.render();
  }

  /** A change of the document, local or remote. */
  onChange(event: ChangeEvent): void {
    if (event.origin === "remote") this.applyRemote(event.patches);
    this.presence?.onChange();
    this.queueRender();
  }

  /** Moves remote text edits of the open note into its fields, caret and selection kept. */
  private applyRemote(patches: Patch[]): void {
    const title: Patch[] = [];
    const body: Patch[] = [];
    let lost = false;
    for (const patch of patches) {
      const [root, index, key] = patch.path;
      if (root !== "notes" || this.selectedIndex < 0) continue;
      if (patch.path.length === 1) {
        if (patch.action === "list-insert" && patch.index <= this.selectedIndex) {
          this.selectedIndex += patch.values.length;
        } else if (patch.action === "list-delete" && patch.index <= this.selectedIndex) {
          if (patch.index + patch.length > this.selectedIndex) lost = true;
          else this.selectedIndex -= patch.length;
        }
      } else if (index === this.selectedIndex && patch.path.length === 3) {
        if (key === "title") title.push(patch);
        if (key === "body") body.push(patch);
      }
    }
    if (lost || !this.current()) {
      this.select(this.notebook.list()[0]?.id);
      return;
    }
    this.title?.applyRemote(title);
    this.body?.applyRemote(body);
  }

  private render(): void {
    this.renderList();
    this.renderNote();
    if (document.activeElement !== this.name) {
      this.name.value = this.notebook.meta.get("name") === undefined ? "" : this.notebook.name();
    }
    document.title = `${this.notebook.name()} · dagsync`;
  }

  private renderList(): void {
    const query = this.search.value.trim().toLowerCase();
    const items = this.notebook.list().filter((note) => {
      if (!query) return true;
      const hay = `${note.title.toString()} ${note.body.toString()} ${note.tags.values().join(" ")}`;
      return hay.toLowerCase().includes(query);
    });
    const rows = items.map((note) => {
      const title = note.title.toString().trim() || "Untitled note";
      const body = note.body.toString().trim().replace(/\s+/g, " ");
      const row = el(
        "li",
        { class: note.id === this.selected ? "note-item selected" : "note-item", "data-id": note.id },
        el("div", { class: "note-item-title" }, title),
        el("div", { class: "note-item-excerpt" }, body.slice(0, 90) || "No text yet"),
        el(
          "div",
          { class: "note-item-meta" },
          el("span", {}, ago(updatedAt(note))),
          ...note.tags
            .values()
            .slice(0, 3)
            .map((t) => el("span", { class: "chip small" }, `#${String(t)}`)),
          note.likes.value ? el("span", { class: "likes" }, `♥ ${note.likes.value}`) : "",
        ),
      );
      row.tabIndex = 0;
      row.addEventListener("click", () => this.select(note.id));
      row.addEventListener("keydown", (e) => e.key === "Enter" && this.select(note.id));
      return row;
    });
    if (rows.length === 0) {
      rows.push(el("li", { class: "note-list-empty" }, query ? "No note matches." : "No notes yet."));
    }
    this.list.replaceChildren(...rows);
  }

  private renderNote(): void {
    const note = this.current();
    if (!note) return;
    this.selectedIndex = note.index;
    this.title?.refresh();
    this.body?.refresh();
    byId("like-count").textContent = String(note.likes.value);
    const created = new Date(note.created).toLocaleString(undefined, {
      dateStyle: "medium",
      timeStyle: "short",
    });
    byId("note-dates").textContent = `Created ${created} · edited ${ago(updatedAt(note))}`;
    const chips = note.tags.values().map((tag) => {
      const remove = el("button", { class: "chip-x", type: "button", "aria-label": `Remove tag ${String(tag)}` }, "×");
      remove.addEventListener("click", () => this.withNote((n) => n.tags.remove(tag)));
      return el("span", { class: "chip" }, `#${String(tag)}`, remove);
    });
    byId("tag-chips").replaceChildren(...chips);
  }
}
