import { DagsyncError, Doc } from "dagsync";
import { loadBytes, openStore, saveBytes } from "./storage";

const DOC_ID = "demo";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing #${id}`);
  return found as T;
}

const form = element<HTMLFormElement>("note-form");
const input = element<HTMLInputElement>("note-input");
const stored = element<HTMLParagraphElement>("stored-note");
const status = element<HTMLParagraphElement>("status");

/** The stored note, if the document holds one. */
function note(doc: Doc): string | undefined {
  const text = doc.getMap("notes").get("text");
  return typeof text === "string" ? text : undefined;
}

function show(doc: Doc, message: string): void {
  stored.textContent = note(doc) ?? "(nothing yet)";
  status.textContent = message;
  status.classList.remove("error");
}

function fail(message: string, err: unknown): void {
  const detail = err instanceof DagsyncError ? `${err.code}: ${err.message}` : String(err);
  status.textContent = `${message} (${detail})`;
  status.classList.add("error");
  console.error(message, err);
}

async function start(): Promise<void> {
  const db = await openStore();
  const saved = await loadBytes(db, DOC_ID);
  let doc = new Doc();
  if (saved) {
    try {
      doc = Doc.load(saved);
    } catch (err) {
      fail("The stored document could not be read; starting a new one", err);
    }
  }
  show(doc, saved ? `Loaded ${saved.byteLength} bytes from IndexedDB` : "New document");
  input.value = note(doc) ?? "";

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    doc.getMap("notes").set("text", input.value);
    doc.commit();
    const bytes = doc.save();
    saveBytes(db, DOC_ID, bytes).then(
      () => show(doc, `Saved ${bytes.byteLength} bytes to IndexedDB`),
      (err: unknown) => fail("Saving failed; the edit is kept in memory", err),
    );
  });
}

start().catch((err: unknown) => fail("The demo could not start", err));
