/*
 * DOM helpers: data reaches the page as text nodes and attribute values set through the DOM, never
 * as markup (no innerHTML), so a title such as "<b>" shows as those three characters.
 */

/** el('a', { href: url, class: 'x' }, 'text', otherNode): children are strings (text nodes) or nodes. */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  if (attributes) {
    Object.keys(attributes).forEach((name) => {
      const value = attributes[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'hidden') node.hidden = true;
      else node.setAttribute(name, value === true ? '' : String(value));
    });
  }
  children.forEach((child) => append(node, child));
  return node;
}

export function append(parent, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) child.forEach((c) => append(parent, c));
  else parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function hiddenText(text) {
  return el('span', { class: 'visually-hidden' }, text);
}
