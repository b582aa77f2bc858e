import { consume } from '@lit/context';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { Watch } from '../state/watch.js';
import { base } from '../styles.js';

const LABELS = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' } as const;

/** The stream's state, always visible: live / reconnecting / offline. */
@customElement('parley-connection')
export class ParleyConnection extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  private readonly status = new Watch(
    this,
    () => this.client?.connection,
    (s) => s,
  );

  static override styles = [
    base,
    css`
      :host { display: inline-flex; flex: none; }
      .pill {
        display: inline-flex; align-items: center; gap: 0.4rem; padding: 0.2rem 0.6rem; border-radius: 999px;
        font-size: 0.8rem; font-weight: 600; background: var(--surface-2); border: 1px solid var(--border); white-space: nowrap;
      }
      .dot { width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
      .live { color: var(--ok); }
      .connecting, .reconnecting { color: var(--warn); }
      .reconnecting .dot, .connecting .dot { animation: pulse 1s ease-in-out infinite; }
      .offline { color: var(--danger); background: var(--danger-soft); }
      @keyframes pulse { 50% { opacity: 0.3; } }
      @media (max-width: 719px) { .live .text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); } .live { padding: 0.45rem; } }
      @media (prefers-reduced-motion: reduce) { .dot { animation: none !important; } }
    `,
  ];

  override render() {
    const s = this.status.value ?? 'connecting';
    return html`<span class="pill ${s}" role="status" aria-live="polite" data-status=${s} title=${`Connection: ${LABELS[s]}`}>
      <span class="dot" aria-hidden="true"></span><span class="text">${LABELS[s]}</span>
    </span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-connection': ParleyConnection;
  }
}
