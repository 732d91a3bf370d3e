/**
 * Expected wire shapes written out by hand, the oracle the tests check the server against: they are
 * not imported from src/, so a change to the server's own lists cannot pass unnoticed.
 */

/** The CRM export's keys, in the seed's order (the attribution keys follow them). */
export const SEED_CRM_KEYS = [
  'name',
  'location',
  'business_type',
  'staff_size',
  'monthly_sales',
  'features_interested',
  'contact_info',
  'email',
  'phone',
  'lead_score',
  'lead_type',
  'utm_source',
  'session_start_time',
  'assigned_to',
];

/**
 * Routes anyone may call: the visitor API of both versions of the earlier service (scoped by the
 * session id), its catalogue and the health probe.
 */
export const PUBLIC_ROUTES = [
  'GET /health',
  'POST /api/session/start',
  'GET /api/questions',
  'POST /api/answer',
  'POST /api/behavior',
  'POST /api/lead/profile',
  'GET /api/lead/summary/{session_id}',
  'GET /api/lead/export/{session_id}',
  'GET /api/score/{session_id}',
  'GET /api/product-menu',
  'GET /api/cta-options',
  'POST /api/ab-test/variant/{test_name}',
  'POST /api/ab-test/conversion',
  // Added by its later version.
  'POST /api/next-question',
  'POST /api/skip-question',
  'POST /api/answer-with-conditional',
  'GET /api/behavior/actions',
  'POST /api/ab-test/variant',
  'POST /api/session/exit',
  'POST /api/tracking/page-entry',
  'POST /api/tracking/page-exit',
  'GET /api/tracking/journey/{session_id}',
  // This project's own: the visitor switches language.
  'POST /api/session/locale',
];

/** The other REST routes: the operators' (leads, agents, notifications, A/B results, analytics). */
export const OPERATOR_ROUTES = [
  'GET /api/leads',
  'GET /api/leads/list',
  'GET /api/leads/dashboard',
  'POST /api/agents/token',
  'GET /api/notifications',
  'POST /api/notifications/{id}/retry',
  'POST /api/notifications/send',
  'POST /api/lead/notify',
  'POST /api/lead/sync-odoo',
  'GET /api/ab-test/results',
  'GET /api/leads/export',
  'DELETE /api/lead/{session_id}',
  'GET /api/analytics/leads',
  'GET /api/analytics/enhanced',
  'GET /api/analytics/drop-off-points',
  'GET /api/analytics/page-performance',
  'GET /api/workflow',
  'GET /api/routing/agents',
  'POST /api/lead/{session_id}/assign',
  'POST /api/lead/{session_id}/contacted',
];
