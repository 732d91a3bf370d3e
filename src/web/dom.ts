/** The console's DOM helpers: text is only ever set as textContent, so visitor text stays inert. */

/** The element with this id in the page. */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A new element with `text` as its text and `className` as its class. */
export const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = '') => {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
};
