import type { PromptOption } from '../protocol/index.js';
import { el } from './widget-view.js';

/**
 * The widget's form controls: labelled fields with an inline error under them, the contact form with
 * an error per field, and CTAs as cards. Messages are put in as text, never as HTML.
 */

let ids = 0;

/** A form whose submission (the primary button, or Enter in a field) calls `submit`. */
export function form(children: Node[], submit: () => void): HTMLFormElement {
  const f = el('form', {}, children);
  f.noValidate = true;
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  return f;
}

/** A field named for screen readers, with an error line under it that it is described by. */
export interface Field {
  input: HTMLInputElement;
  /** The field and its error line, to put in a form. */
  nodes: Node[];
  /** Shows `message` under the field (null clears it). */
  error(message: string | null): void;
}

export function field(props: Record<string, unknown>, label: string): Field {
  const input = el('input', { className: 'lcb-field', placeholder: label, ...props });
  input.setAttribute('aria-label', label);
  const line = el('div', { className: 'lcb-error', id: `lcb-err-${++ids}` });
  const error = (message: string | null) => {
    line.textContent = message ?? '';
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', line.id);
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  };
  input.addEventListener('input', () => error(null));
  return { input, nodes: [input, line], error };
}

/**
 * Checks a typed answer before it is sent: something a field of its kind can read was typed. The rest
 * (format, bounds) the server checks, and its reason, which names what it expected, comes back under
 * the field. Shows the problem under the field; true when fine.
 */
export function checked(f: Field): boolean {
  const { input } = f;
  if (input.value.trim() && !input.validity.badInput) return true;
  f.error(input.validity.badInput ? input.validationMessage : 'Please type your answer.');
  return false;
}

/** The server's refusal of a contact form, `error.details.fields`: the problem with each field. */
export type FieldProblems = { field: string; message: string }[];

/** A CTA as a card: its title, and its description under it. */
export function ctaCard(o: PromptOption, choose: () => void): HTMLButtonElement {
  const card = el('button', { type: 'button', className: 'lcb-card', onclick: choose }, [
    el('strong', { textContent: o.label }),
  ]);
  if (o.description) card.append(el('span', { textContent: o.description }));
  return card;
}
