// Two-way binding of a <textarea> or <input> to a dagsync Text: each input event becomes the
// minimal delete + insert at UTF-16 positions, and remote patches are applied to the element
// with the caret and selection moved through them (so they stay on the same characters).
import type { Patch, TextHandle } from "dagsync";

/** The smallest edit turning `before` into `after`: delete `remove` code units at `index`,
 * then insert `insert` there. Never splits a surrogate pair. */
export function diff(before: string, after: string): { index: number; remove: number; insert: string } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end++;
  }
  if (end > 0 && isLow(before.charCodeAt(before.length - end))) end--;
  return {
    index: start,
    remove: before.length - start - end,
    insert: after.slice(start, after.length - end),
  };
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Where position `pos` moves when `patch` (a text patch) is applied before it. An insert
 * exactly at the position pushes it only if `sticky` is "after". */
export function transform(pos: number, patch: Patch, sticky: "before" | "after" = "after"): number {
  if (patch.action === "text-insert") {
    const before = patch.index < pos || (patch.index === pos && sticky === "after");
    return before ? pos + patch.text.length : pos;
  }
  if (patch.action === "text-delete") {
    if (pos <= patch.index) return pos;
    return patch.index + Math.max(0, pos - patch.index - patch.length);
  }
  return pos;
}

type Field = HTMLTextAreaElement | HTMLInputElement;

export class TextBinding {
  private composing = false;
  private shown: string;
  private readonly listeners: [string, EventListener][] = [];

  /** Binds `field` to `text`; `commit` is called after each local edit. */
  constructor(
    readonly field: Field,
    readonly text: TextHandle,
    private readonly commit: () => void,
  ) {
    this.shown = text.toString();
    field.value = this.shown;
    this.listen("input", () => {
      if (!this.composing) this.pushLocal();
    });
    this.listen("compositionstart", () => {
      this.composing = true;
    });
    this.listen("compositionend", () => {
      this.composing = false;
      this.pushLocal();
    });
  }

  private listen(type: string, fn: EventListener): void {
    this.field.addEventListener(type, fn);
    this.listeners.push([type, fn]);
  }

  /** Sends the element's change since the last sync to the Text. */
  private pushLocal(): void {
    const value = this.field.value;
    if (value === this.shown) return;
    const { index, remove, insert } = diff(this.shown, value);
    if (remove > 0) this.text.delete(index, remove);
    if (insert) this.text.insert(index, insert);
    this.shown = value;
    this.commit();
  }

  /** Applies remote text patches of this Text (already filtered by path). */
  applyRemote(patches: Patch[]): void {
    if (patches.length === 0) return;
    if (this.field.value !== this.shown) this.pushLocal();
    const focused = document.activeElement === this.field;
    let start = this.field.selectionStart ?? 0;
    let end = this.field.selectionEnd ?? 0;
    const collapsed = start === end;
    for (const patch of patches) {
      start = transform(start, patch, "before");
      end = collapsed ? start : transform(end, patch, "before");
    }
    this.shown = this.text.toString();
    this.field.value = this.shown;
    if (focused) this.field.setSelectionRange(start, end);
  }

  /** Re-reads the whole Text (after an undo, or a structural change). */
  refresh(): void {
    const value = this.text.toString();
    if (value === this.shown && value === this.field.value) return;
    this.shown = value;
    this.field.value = value;
  }

  destroy(): void {
    for (const [type, fn] of this.listeners) this.field.removeEventListener(type, fn);
  }
}
