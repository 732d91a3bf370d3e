import { defaultWorkflow } from '../../src/workflow/default.js';
import { parseWorkflow } from '../../src/workflow/load.js';
import type { WorkflowInput } from '../../src/workflow/schema.js';

/**
 * A workflow with a custom-field question of every kind after the built-in five (a restaurant's table
 * count, its average bill, the owner's e-mail and phone, the opening day, cuisine, delivery channels and
 * a free-text note), and no experiments, so every session asks them in this order.
 */
export const CUSTOM_QUESTIONS: WorkflowInput['questions'] = [
  {
    id: 8,
    step: 'tables',
    text: 'How many tables do you have?',
    type: 'number',
    integer: true,
    min: 1,
    max: 500,
    field: 'table_count',
  },
  {
    id: 9,
    step: 'bill',
    text: 'Average bill per table, in ₹?',
    type: 'number',
    min: 0,
    field: 'average_bill',
  },
  { id: 10, step: 'owner_email', text: "The owner's e-mail?", type: 'email', field: 'owner_email' },
  { id: 11, step: 'owner_phone', text: "The owner's phone?", type: 'phone', field: 'owner_phone' },
  {
    id: 12,
    step: 'opening',
    text: 'When did you open?',
    type: 'date',
    min: '1950-01-01',
    max: '2030-12-31',
    field: 'opened_on',
  },
  {
    id: 13,
    step: 'cuisine',
    text: 'Your main cuisine?',
    type: 'single_choice',
    field: 'cuisine',
    options: [
      { id: 'south_indian', label: 'South Indian' },
      { id: 'north_indian', label: 'North Indian' },
      { id: 'chinese', label: 'Chinese' },
    ],
  },
  {
    id: 14,
    step: 'delivery',
    text: 'Which delivery apps do you use?',
    type: 'multi_choice',
    field: 'delivery_apps',
    options: [
      { id: 'swiggy', label: 'Swiggy' },
      { id: 'zomato', label: 'Zomato' },
      { id: 'own', label: 'Our own' },
    ],
  },
  { id: 15, step: 'note', text: 'Anything else?', type: 'text', field: 'note', required: false },
];

export const customFieldsWorkflowInput: WorkflowInput = {
  ...defaultWorkflow,
  questions: [...defaultWorkflow.questions, ...CUSTOM_QUESTIONS],
  experiments: [],
};

export const customFieldsWorkflow = parseWorkflow(customFieldsWorkflowInput);

/** Answers to the custom questions as a visitor types them, and the value each field then holds. */
export const CUSTOM_ANSWERS: [questionId: number, typed: string, field: string, stored: unknown][] = [
  [8, ' 24 ', 'table_count', 24],
  [9, '1,250.50', 'average_bill', 1250.5],
  [10, ' Owner@Example.COM ', 'owner_email', 'owner@example.com'],
  [11, '98765 43210', 'owner_phone', '+919876543210'],
  [12, '2019-02-28', 'opened_on', '2019-02-28'],
  [13, 'North Indian', 'cuisine', 'north_indian'],
  [14, 'Swiggy, Zomato', 'delivery_apps', ['swiggy', 'zomato']],
  [15, '=HYPERLINK("http://evil.example")', 'note', '=HYPERLINK("http://evil.example")'],
];

/** The custom fields a lead holds after CUSTOM_ANSWERS. */
export const CUSTOM_VALUES = Object.fromEntries(CUSTOM_ANSWERS.map(([, , field, stored]) => [field, stored]));
