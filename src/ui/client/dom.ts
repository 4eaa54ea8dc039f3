/*
 * DOM helpers: data reaches the page as text nodes and attribute values set through the DOM, never
 * as markup (no innerHTML), so a title such as "<b>" shows as those three characters. Text that
 * holds an erasure's or a withholding's marker shows it as a marker (marks.ts).
 */
import { textWithMarks } from './marks';

export type Child = Node | string | null | undefined | false | Child[];
export type Attributes = Record<string, string | number | boolean | null | undefined>;

/** el('a', { href: url, class: 'x' }, 'text', otherNode): children are strings (text nodes) or nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attributes) {
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'hidden') node.hidden = true;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  children.forEach((child) => append(node, child));
  return node;
}

export function append(parent: Node, child: Child): void {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) child.forEach((c) => append(parent, c));
  else parent.appendChild(typeof child === 'string' ? textWithMarks(child) : child);
}

export function clear<T extends Node>(node: T): T {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** An element of index.html by its id; a missing one is a bug in the page, said at once. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error('the page has no #' + id);
  return node as T;
}

export function input(id: string): HTMLInputElement {
  return $<HTMLInputElement>(id);
}

export function hiddenText(text: string): HTMLSpanElement {
  return el('span', { class: 'visually-hidden' }, text);
}
