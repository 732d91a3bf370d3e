import type { WorkflowInput } from './schema.js';

/**
 * The built-in workflow: the YouShop / YouResto point-of-sale and billing product for small Indian
 * businesses. `WORKFLOW_FILE` replaces it with a JSON file of the same shape.
 */
export const defaultWorkflow: WorkflowInput = {
  name: 'YouShop / YouResto lead qualification',
  greeting: {
    questionId: 1,
    text: "Hi! 👋 I'm the YouShop assistant. May I ask a few quick questions to find the right plan for your business?",
    aboutText:
      'YouShop (and YouResto for restaurants) runs your counter and your back office: billing & GST invoicing, ' +
      'QR payments, inventory, staff & HR, your own online store, WhatsApp tools to reach customers, and ' +
      'business loans when you need to grow. A few questions and we will show you what fits.',
    declineText: 'No problem! If you change your mind, just say hi. Have a great day.',
    options: [
      { id: 'yes', label: 'Yes, go ahead', next: 'questions' },
      { id: 'about', label: 'What is this about?', next: 'about' },
      { id: 'no', label: 'No thanks', next: 'declined' },
    ],
  },
  // Answer values (`points` on an option, `rules` on a text question) make up the lead's fit: bigger
  // businesses and bigger monthly sales are worth more. examples/seed-rules.json is this workflow
  // without them, the earlier service's own scoring.
  questions: [
    {
      id: 2,
      step: 'business_type',
      text: 'What kind of business do you run?',
      type: 'single_choice',
      profileField: 'business_type',
      options: [
        { id: 'kirana_retail', label: 'Kirana / Retail Shop', points: 5 },
        { id: 'restaurant_cafe', label: 'Restaurant / Café', points: 5 },
        { id: 'wholesale_fmcg', label: 'Wholesale / FMCG', points: 10 },
        { id: 'other', label: 'Other' },
      ],
    },
    {
      id: 3,
      step: 'location',
      text: 'Which city or town is your business in?',
      type: 'text',
      profileField: 'location',
      // A business in one of the big metros is a little more likely to need the full suite.
      rules: [
        {
          pattern: '\\b(mumbai|delhi|bengaluru|bangalore|chennai|hyderabad|kolkata|pune|ahmedabad)\\b',
          points: 5,
        },
      ],
    },
    {
      id: 4,
      step: 'staff_size',
      text: 'How many people work in your business?',
      type: 'single_choice',
      profileField: 'staff_size',
      options: [
        { id: 'just_me', label: 'Just me' },
        { id: 'two_to_five', label: '2–5', points: 3 },
        { id: 'six_to_fifteen', label: '6–15', points: 6 },
        { id: 'more_than_fifteen', label: 'More than 15', points: 10 },
      ],
    },
    {
      id: 5,
      step: 'monthly_sales',
      text: 'Roughly what are your monthly sales?',
      type: 'single_choice',
      profileField: 'monthly_sales',
      options: [
        { id: 'under_50k', label: 'Less than ₹50K', points: -5 },
        { id: '50k_2l', label: '₹50K – ₹2L', points: 3 },
        { id: '2l_5l', label: '₹2L – ₹5L', points: 8 },
        { id: 'over_5l', label: '₹5L+', points: 15 },
      ],
    },
    {
      id: 6,
      step: 'needs',
      text: 'What would help you most? Pick all that apply.',
      type: 'multi_choice',
      profileField: 'features_interested',
      options: [
        { id: 'billing', label: 'Billing / Invoicing' },
        { id: 'qr_payments', label: 'QR Payments' },
        { id: 'staff_hr', label: 'Staff/HR', points: 3 },
        { id: 'inventory', label: 'Inventory', points: 2 },
        { id: 'online_store', label: 'Online Store', points: 2 },
        { id: 'whatsapp_marketing', label: 'WhatsApp Marketing' },
        { id: 'loans', label: 'Loans' },
      ],
    },
  ],
  contact: {
    questionId: 7,
    text: 'Great, thank you! Where can our team reach you? Share your name and a phone number or e-mail.',
    skipLabel: 'Skip for now',
  },
  cta: {
    text: 'What would you like to do next?',
    options: [
      {
        id: 'talk_to_sales',
        title: 'Talk to Sales Rep',
        description: 'A YouShop expert calls you and walks you through the plans.',
        points: 15,
        action: 'complete',
      },
      {
        id: 'request_callback',
        title: 'Request Callback',
        description: 'Pick a time and we call you back.',
        points: 15,
        action: 'complete',
      },
      {
        id: 'start_trial',
        title: 'Start Free Trial',
        description: 'Try YouShop free for 14 days.',
        points: 15,
        action: 'complete',
      },
      {
        id: 'restart_bot',
        title: 'Restart Bot',
        description: 'Go through the questions again.',
        points: 0,
        action: 'restart',
      },
      {
        id: 'human_help',
        title: 'Need Human Help',
        description: 'Chat with a person from our team.',
        points: 10,
        action: 'human_help',
      },
    ],
  },
  completedText: 'Thank you! Our team will be in touch shortly.',
  messages: {
    invalidOption: 'That is not one of the options. Please pick one of them.',
    textExpected: 'Please type your answer.',
    rateLimited: 'You are sending messages too fast; please wait a moment and try again.',
    callbackAsk:
      'Nobody from our team can answer right now; we are back {back}. When should we call you? Pick a time, or type one such as 10:30.',
    callbackConfirm: 'Thank you! We will call you {time}.',
    callbackOutsideHours: 'Please pick a time while our team is open, from {back}.',
    send: 'Send',
    typeAnswer: 'Type your answer',
    name: 'Name',
    phone: 'Phone',
    email: 'E-mail',
  },
  products: [
    {
      id: 'billing',
      title: 'Billing & GST Invoicing',
      description: 'Fast billing with GST-ready invoices.',
      points: 5,
    },
    {
      id: 'inventory',
      title: 'Inventory',
      description: 'Stock levels, low-stock alerts and purchase orders.',
      points: 5,
    },
    {
      id: 'qr_payments',
      title: 'QR Payments',
      description: 'Accept UPI and QR payments at the counter.',
      points: 5,
    },
    { id: 'staff_hr', title: 'Staff & HR', description: 'Attendance, shifts and payroll.', points: 5 },
    {
      id: 'online_selling',
      title: 'Online Store',
      description: 'Your own online store, synced with your counter.',
      points: 5,
    },
    {
      id: 'whatsapp_tools',
      title: 'WhatsApp Tools',
      description: 'Send bills and offers on WhatsApp.',
      points: 5,
    },
    {
      id: 'loans_offers',
      title: 'Loans & Offers',
      description: 'Business loans and offers for YouShop merchants.',
      points: 5,
    },
    {
      id: 'demo',
      title: 'Book a Demo',
      description: 'See YouShop live with an expert.',
      points: 15,
      demo: true,
    },
    { id: 'other', title: 'Something else', description: 'Tell us what you need.', points: 5 },
  ],
  scoring: {
    session_opened: 5,
    replied_to_greeting: 5,
    answered_question: 5,
    quick_reply: { points: 5, withinSeconds: 120 },
    detailed_answer: { points: 5, minLength: 10 },
    answered_all_questions: 10,
    shared_contact: 10,
    clicked_product: { points: 5, maxProducts: 3 },
    clicked_demo: 15,
    clicked_pricing: 10,
    cta_clicked: 15,
    early_dropout: -10,
    question_skipped: 0,
  },
  thresholds: { sql: 60, mql: 30 },
  idleMinutes: 30,
  // The earlier service's two experiments, under its names and variant ids, so that its clients' calls
  // (`/api/ab-test/variant/greeting_message`) work. On by default: AB_TESTING_ENABLED=false switches
  // them off, and so does `enabled: false` in a WORKFLOW_FILE.
  experiments: [
    {
      name: 'greeting_message',
      kind: 'greeting_message',
      variants: [
        { id: 'A', weight: 1, config: { text: 'Hi! Welcome to YouShop!' } },
        { id: 'B', weight: 1, config: { text: '🔥 Transform your business with YouShop!' } },
      ],
    },
    {
      name: 'question_flow',
      kind: 'question_flow',
      variants: [
        // Business type → location → staff size (the workflow's own order).
        { id: 'A', weight: 1, config: { order: [2, 3, 4, 5, 6] } },
        // Staff size → business type → location.
        { id: 'B', weight: 1, config: { order: [4, 2, 3, 5, 6] } },
      ],
    },
  ],
};
