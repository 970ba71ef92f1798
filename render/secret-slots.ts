/**
 * Secret slots: placeholders in rendered content and objects, and the pure functions that fill them
 * once the caller (an activity, `writeRendered`) has resolved the references. Nothing here reads a
 * secret; values come in as arguments and only leave inside the filled text or object.
 */
import type { SecretRef } from '../lab/schema.js';
import type { SecretSlot } from './types.js';

/** A slot named for what it holds (`pullSecret` → `__RUNBOOK_SECRET_PULL_SECRET__`). */
export function secretSlot(name: string, ref: SecretRef, encoding: SecretSlot['encoding'] = 'plain'): SecretSlot {
  const token = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
  return { placeholder: `__RUNBOOK_SECRET_${token}__`, ref, encoding };
}

/** Resolved values, keyed by secret reference. */
export type SecretValues = ReadonlyMap<SecretRef, string>;

/** The value a slot receives: trailing whitespace trimmed, base64-encoded when the slot says so. */
export function encodeSecret(slot: SecretSlot, values: SecretValues): string {
  const value = values.get(slot.ref);
  if (value === undefined) throw new Error(`secret ${slot.ref} was not resolved before filling ${slot.placeholder}`);
  const trimmed = value.replace(/\s+$/, '');
  return slot.encoding === 'base64' ? base64(trimmed) : trimmed;
}

/**
 * Fills a rendered YAML text: each placeholder becomes a double-quoted scalar holding the value.
 * The replacement is a function, never a string: a string replacement would expand `$&`, `` $` ``
 * and `$'` inside the secret (a pull secret's `"email":"ops$&team@x"` would get the slot name).
 */
export function fillText(content: string, slots: readonly SecretSlot[], values: SecretValues): string {
  return slots.reduce((text, slot) => {
    const scalar = JSON.stringify(encodeSecret(slot, values));
    return text.replaceAll(slot.placeholder, () => scalar);
  }, content);
}

/** Fills an object (deep copy): every string equal to a placeholder becomes the value. */
export function fillObject<T>(object: T, slots: readonly SecretSlot[], values: SecretValues): T {
  const bySlot = new Map(slots.map((slot) => [slot.placeholder, slot]));
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const slot = bySlot.get(value);
      return slot === undefined ? value : encodeSecret(slot, values);
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner)]));
    }
    return value;
  };
  return fill(object) as T;
}

/** Base64 of the UTF-8 bytes of a text (Secret `data` values). */
export function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
