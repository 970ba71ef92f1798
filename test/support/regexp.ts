/**
 * A regular expression written in parts, so that a long one is broken over source lines like a long
 * message (`'…' +`): each part is a literal (its escapes as usual), matched one after the other. A part
 * keeps its own alternatives (`a|b` stays inside its part). All parts take the same flags.
 */
export function regexp(...parts: readonly RegExp[]): RegExp {
  const flags = new Set(parts.map((part) => part.flags));
  if (flags.size > 1)
    throw new Error(`the parts of one regular expression take one set of flags, not ${[...flags].join(', ')}`);
  return new RegExp(parts.map((part) => `(?:${part.source})`).join(''), parts[0]?.flags);
}
