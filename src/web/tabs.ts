/**
 * The console's tabs (Board, Analytics) as the WAI-ARIA tabs pattern has them: one tab in the tab
 * order, the arrow keys move between tabs, and the shown tab is in the address (`#analytics`), so a
 * reload or a link opens it.
 */
export class Tabs {
  private readonly tabs: HTMLButtonElement[];

  constructor(
    list: HTMLElement,
    private readonly changed: (panelId: string) => void,
  ) {
    this.tabs = [...list.querySelectorAll<HTMLButtonElement>('[role=tab]')];
    for (const [i, tab] of this.tabs.entries()) {
      tab.addEventListener('click', () => this.show(tab));
      tab.addEventListener('keydown', (e) => {
        const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (!step) return;
        const next = this.tabs[(i + step + this.tabs.length) % this.tabs.length]!;
        this.show(next);
        next.focus();
      });
    }
  }

  /** The tab the address names (the first when it names none). */
  restore(): void {
    const named = this.tabs.find((t) => `#${t.id.replace(/^tab-/, '')}` === location.hash);
    this.show(named ?? this.tabs[0]!);
  }

  /** Shows the tab of the panel with this id (a session opened from elsewhere shows the board). */
  showPanel(panelId: string): void {
    const tab = this.tabs.find((t) => t.getAttribute('aria-controls') === panelId);
    if (tab && tab.getAttribute('aria-selected') !== 'true') this.show(tab);
  }

  private show(tab: HTMLButtonElement): void {
    for (const t of this.tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')!)!.hidden = !on;
    }
    const name = tab.id.replace(/^tab-/, '');
    history.replaceState(null, '', name === 'board' ? location.pathname : `#${name}`);
    this.changed(tab.getAttribute('aria-controls')!);
  }
}
