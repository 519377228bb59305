// How people are shown: a colour and a short fingerprint derived from an actor (hex public key).

/** A stable, readable colour for `actor`. */
export function colorOf(actor: string): string {
  let hash = 2166136261;
  for (let i = 0; i < actor.length; i++) {
    hash ^= actor.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  const hue = (hash >>> 0) % 360;
  return `hsl(${hue} 65% 48%)`;
}

/** The first 8 bytes of the key, in groups of four hex digits: `3f9a·07c1·…`. */
export function fingerprint(actor: string): string {
  return (actor.slice(0, 16).match(/.{4}/g) ?? [actor]).join("·");
}

/** Initials of a name, or of the fingerprint. */
export function initials(name: string | undefined, actor: string): string {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return actor.slice(0, 2).toUpperCase();
  return words
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join("");
}
