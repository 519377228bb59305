// The notebook's data model: one dagsync document per notebook.
//
//   notes   List of Map   each note: id (string), title (Text), body (Text), tags (Set),
//                         likes (Counter), created (number), updated (Register: ms)
//   meta    Map           name: the notebook's name
//   people  Map           actor (hex public key) -> display name, so every device can name
//                         the authors of peers and of history entries
import {
  CounterHandle,
  MapHandle,
  RegisterHandle,
  SetHandle,
  TextHandle,
  type Doc,
  type Item,
  type ListHandle,
} from "dagsync";

export interface Note {
  /** The note's index in the `notes` list now. */
  index: number;
  id: string;
  map: MapHandle;
  title: TextHandle;
  body: TextHandle;
  tags: SetHandle;
  likes: CounterHandle;
  created: number;
  updated: RegisterHandle;
}

export class Notebook {
  constructor(readonly doc: Doc) {}

  get notes(): ListHandle {
    return this.doc.getList("notes");
  }

  get meta(): MapHandle {
    return this.doc.getMap("meta");
  }

  get people(): MapHandle {
    return this.doc.getMap("people");
  }

  name(): string {
    const name = this.meta.get("name");
    return typeof name === "string" && name.trim() ? name : "Untitled notebook";
  }

  /** The notes in list order (entries that are not complete notes yet are skipped). */
  list(): Note[] {
    const out: Note[] = [];
    this.notes.toArray().forEach((item, index) => {
      const note = this.noteOf(item, index);
      if (note) out.push(note);
    });
    return out;
  }

  find(id: string): Note | undefined {
    return this.list().find((n) => n.id === id);
  }

  private noteOf(item: Item | undefined, index: number): Note | undefined {
    if (!(item instanceof MapHandle)) return undefined;
    const map = item;
    const id = map.get("id");
    const title = map.get("title");
    const body = map.get("body");
    const tags = map.get("tags");
    const likes = map.get("likes");
    const updated = map.get("updated");
    const created = map.get("created");
    if (
      typeof id !== "string" ||
      !(title instanceof TextHandle) ||
      !(body instanceof TextHandle) ||
      !(tags instanceof SetHandle) ||
      !(likes instanceof CounterHandle) ||
      !(updated instanceof RegisterHandle)
    ) {
      return undefined;
    }
    return {
      index,
      id,
      map,
      title,
      body,
      tags,
      likes,
      updated,
      created: typeof created === "number" ? created : 0,
    };
  }

  /** A new note at the top of the list; returns its id. The caller commits. */
  addNote(title: string, body = ""): string {
    const id = randomId(8);
    const map = this.notes.insertContainer(0, "map");
    map.set("id", id);
    map.set("created", Date.now());
    map.setContainer("title", "text").insert(0, title);
    map.setContainer("body", "text").insert(0, body);
    map.setContainer("tags", "set");
    map.setContainer("likes", "counter");
    map.setContainer("updated", "register").set(Date.now());
    return id;
  }

  deleteNote(id: string): void {
    const note = this.find(id);
    if (note) this.notes.delete(note.index, 1);
  }

  /** The display name of `actor`, if someone set one. */
  personName(actor: string): string | undefined {
    const name = this.people.get(actor);
    return typeof name === "string" && name.trim() ? name : undefined;
  }
}

export function updatedAt(note: Note): number {
  const value = note.updated.value;
  return typeof value === "number" ? value : note.created;
}

/** Random lowercase hex of `bytes` bytes. */
export function randomId(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}
