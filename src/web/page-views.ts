/**
 * The widget's page views: the page it is on when the session opens, and every navigation of a
 * single-page app after that — `history.pushState` and `replaceState` (patched, since the browser
 * tells no one of them), `popstate` and `hashchange`. Each distinct URL is reported once, after the
 * app had a turn to set the new title.
 */
export function watchPages(report: (page: { url: string; title?: string }) => void): {
  /** Reports the page as it is now, unless it was the last one reported. */
  check(): void;
} {
  let last: string | null = null;
  const check = () => {
    const url = location.href.slice(0, 2000);
    if (url === last) return;
    last = url;
    const title = document.title.slice(0, 300);
    report(title ? { url, title } : { url });
  };
  // After the app's own handlers: a router usually sets the title right after it pushes the state.
  const soon = () => setTimeout(check, 0);
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      soon();
      return result;
    };
  }
  addEventListener('popstate', soon);
  addEventListener('hashchange', soon);
  return { check };
}
