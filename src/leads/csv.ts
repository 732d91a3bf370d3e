import { type Stringifier, stringify } from 'csv-stringify';
import type { CustomField } from '../workflow/fields.js';
import { CRM_FIELDS } from './views.js';

/**
 * The columns of the lead export: the session id, the CRM export's keys, one per custom field of the
 * workflow (`custom_fields.<name>`, read from the row's `custom_fields`), the reported behaviours' metadata.
 */
const exportColumns = (fields: readonly CustomField[]) => [
  'session_id',
  ...CRM_FIELDS,
  ...fields.map((f) => `custom_fields.${f.name}`),
  'behavior_metadata',
];

/** A phone number as the contact step stores it: E.164, `+` and 7–15 digits, nothing else. */
const E164 = /^\+[1-9]\d{6,14}$/;

/** Columns whose whole value may be the phone number (`contact_info` is the phone alone without e-mail). */
const PHONE_COLUMNS = ['phone', 'contact_info'];

/**
 * The CSV of the lead export, safe to open in a spreadsheet. Excel, LibreOffice and Google Sheets run a
 * cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or their full-width forms) as a
 * formula, so a visitor calling themselves `=HYPERLINK(…)` would reach whoever opens the export. Every
 * such text cell gets a leading `'`, which spreadsheets read as "this is text" (csv-stringify's
 * `escape_formulas`). One exception keeps phone numbers usable: in the phone columns a cell that is
 * exactly an E.164 number stays as it is — `+` and digits are no formula (at worst a spreadsheet shows a
 * number), and a CRM importer gets the phone number itself rather than `'+91…` (a custom field of type
 * `phone` is such a column too). A custom field's numbers are written as numbers.
 */
export function leadsCsv(customFields: readonly CustomField[] = []): Stringifier {
  const phoneColumns = new Set([
    ...PHONE_COLUMNS,
    ...customFields.filter((f) => f.type === 'phone').map((f) => `custom_fields.${f.name}`),
  ]);
  return stringify({
    header: true,
    columns: exportColumns(customFields),
    escape_formulas: true,
    cast: {
      string: (value, { column }) =>
        typeof column === 'string' && phoneColumns.has(column) && E164.test(value)
          ? { value, escape_formulas: false }
          : value,
      // Lists of text (features) as one cell, anything else (reported metadata; none is an empty cell) as
      // JSON; the result is escaped like any other text.
      object: (value) =>
        Array.isArray(value) && value.every((v) => typeof v === 'string')
          ? value.join('; ')
          : JSON.stringify(value),
    },
  });
}
