/**
 * What the host page sets on the widget's script tag: `data-color` (any CSS colour), `data-title`,
 * `data-avatar` (an http(s) image URL), `data-position` (`left` or `right`) and `data-greeting-delay`
 * (seconds after which the panel opens by itself, unless the visitor has opened or closed it). Anything
 * that does not read as its kind is ignored and the default kept.
 */
export interface WidgetConfig {
  color?: string;
  title: string;
  avatar?: string;
  position: 'left' | 'right';
  greetingDelayMs?: number;
}

export function widgetConfig(data: DOMStringMap = {}): WidgetConfig {
  const config: WidgetConfig = {
    title: data.title?.trim().slice(0, 80) || 'Chat with us',
    position: data.position === 'left' ? 'left' : 'right',
  };
  if (data.color && CSS.supports('color', data.color)) config.color = data.color;
  if (data.avatar) {
    try {
      const url = new URL(data.avatar, location.href);
      if (url.protocol === 'https:' || url.protocol === 'http:') config.avatar = url.href;
    } catch {
      // Not a URL: no avatar.
    }
  }
  const delay = Number(data.greetingDelay);
  if (data.greetingDelay && Number.isFinite(delay) && delay >= 0 && delay <= 3600)
    config.greetingDelayMs = delay * 1000;
  return config;
}
