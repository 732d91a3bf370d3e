/** The WhatsApp door's settings (WHATSAPP_*, the same names in camel case), as src/config.ts parsed them. */
export type WhatsAppConfig = Record<
  'verifyToken' | 'appSecret' | 'accessToken' | 'phoneNumberId' | 'graphUrl',
  string
>;

const REQUIRED = ['VERIFY_TOKEN', 'APP_SECRET', 'ACCESS_TOKEN', 'PHONE_NUMBER_ID'].map(
  (k) => `WHATSAPP_${k}`,
);

/** A door half configured is an error: all four of its required variables, or none. */
export function whatsappIssues(env: Record<string, string | undefined>): string[] {
  return REQUIRED.some((k) => env[k]) && !REQUIRED.every((k) => env[k])
    ? [`  WHATSAPP_*: set all of ${REQUIRED.join(', ')}`]
    : [];
}

/** The door's settings; null (off) unless configured. */
export function whatsappConfig(e: {
  WHATSAPP_VERIFY_TOKEN?: string | undefined;
  WHATSAPP_APP_SECRET?: string | undefined;
  WHATSAPP_ACCESS_TOKEN?: string | undefined;
  WHATSAPP_PHONE_NUMBER_ID?: string | undefined;
  WHATSAPP_GRAPH_BASE_URL: string;
  WHATSAPP_GRAPH_VERSION: string;
}): WhatsAppConfig | null {
  if (!e.WHATSAPP_VERIFY_TOKEN) return null;
  return {
    verifyToken: e.WHATSAPP_VERIFY_TOKEN,
    appSecret: e.WHATSAPP_APP_SECRET!,
    accessToken: e.WHATSAPP_ACCESS_TOKEN!,
    phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID!,
    graphUrl: `${e.WHATSAPP_GRAPH_BASE_URL.replace(/\/$/, '')}/${e.WHATSAPP_GRAPH_VERSION}`,
  };
}
