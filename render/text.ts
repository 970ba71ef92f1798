/** Small text helpers shared by the renderers of daemon configs. */

/** The first line(s) of every rendered file, in the file's comment syntax. */
export function header(lab: { name: string }, comment: string, what: string): string {
  return (
    `${comment} ${what}, rendered from lab "${lab.name}" by \`runbook render\`.\n${comment} Change the ` +
    `lab file and render again rather than editing this file.\n`
  );
}

/**
 * FNV-1a, 32 bits: a stable digest of rendered text (zone serials) that needs no Node built-in,
 * so renderers stay importable from anywhere.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** `52:54:00:e1:48:6a` → `52-54-00-e1-48-6a`, as PXELINUX and GRUB name per-MAC configs. */
export function macWithDashes(mac: string): string {
  return mac.toLowerCase().replaceAll(':', '-');
}

/** Joins lines into a file: one trailing newline, no trailing spaces. */
export function lines(...parts: Array<string | string[]>): string {
  return `${parts
    .flat()
    .join('\n')
    .replace(/[ \t]+$/gm, '')}\n`;
}
