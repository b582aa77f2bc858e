import { provide } from '@lit/context';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { onSessionLost } from '../api.js';
import { DocumentTitle } from '../controllers/document-title.js';
import { currentPath, navigate, onRoute, roomIdFromPath, seqFromPath } from '../router.js';
import { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { storage } from '../state/storage.js';
import { Watch } from '../state/watch.js';
import { base } from '../styles.js';
import './parley-auth.js';
import './parley-chat.js';

const AUTH_PAGES = new Set(['/login', '/register']);

/** The app: provides the client to every element, and decides between the sign-in pages and the chat. */
@customElement('parley-app')
export class ParleyApp extends LitElement {
  @provide({ context: clientContext })
  @property({ attribute: false })
  client = new ChatClient();

  private readonly session = new Watch(
    this,
    () => this.client.session.store,
    (s) => [s.me, s.authChecked] as const,
  );
  private readonly rooms = new Watch(
    this,
    () => this.client.rooms.store,
    (s) => s.loaded,
  );
  private readonly documentTitle = new DocumentTitle(this, () => this.client);
  private offs: Array<() => void> = [];
  private readonly onSignedOut = () => navigate('/login', { replace: true });
  private readonly onRoomGone = (e: Event) => {
    if (roomIdFromPath() === (e as CustomEvent<string>).detail) navigate('/', { replace: true });
  };

  static override styles = [
    base,
    css`
      :host { display: block; height: 100%; }
      .splash { display: grid; place-items: center; height: 100%; color: var(--muted); }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    // The address the page was opened at (a link to a message, say), kept until the session is known.
    if (roomIdFromPath()) this.returnTo = currentPath();
    const client = this.client;
    const signOutHere = () => {
      if (client.session.me) client.signedOut();
    };
    client.addEventListener('signedout', this.onSignedOut);
    client.addEventListener('roomgone', this.onRoomGone);
    this.offs = [
      onRoute(() => this.requestUpdate()),
      onSessionLost(signOutHere),
      // Another tab signed out: this one follows.
      storage.onSignOutElsewhere(signOutHere),
      () => client.removeEventListener('signedout', this.onSignedOut),
      () => client.removeEventListener('roomgone', this.onRoomGone),
    ];
    void client.checkSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.offs) off();
    this.offs = [];
  }

  /** The room address asked for before signing in. */
  private returnTo: string | null = null;

  /** Where the current address should lead, given the session; null when it is fine as it is. */
  private redirect(): string | null {
    const path = currentPath();
    const [me, authChecked] = this.session.value;
    if (!authChecked) return null;
    if (!me) {
      // A link to a room or a message opened while signed out leads there once signed in.
      if (roomIdFromPath(path)) this.returnTo = path;
      return AUTH_PAGES.has(path) ? null : '/login';
    }
    if (this.returnTo && (AUTH_PAGES.has(path) || path === '/')) {
      const back = this.returnTo;
      this.returnTo = null;
      return back;
    }
    if (roomIdFromPath(path)) this.returnTo = null;
    if (AUTH_PAGES.has(path)) return '/';
    if (path === '/' && this.rooms.value) {
      const id = this.client.rooms.defaultRoomId();
      return id ? `/rooms/${id}` : null;
    }
    if (path !== '/' && !roomIdFromPath(path)) return '/';
    return null;
  }

  override updated(): void {
    const to = this.redirect();
    if (to) navigate(to, { replace: true });
  }

  override render() {
    void this.documentTitle;
    const [me, authChecked] = this.session.value;
    if (!authChecked) return html`<div class="splash" role="status">Loading Parley…</div>`;
    const path = currentPath();
    if (!me) return html`<parley-auth .mode=${path === '/register' ? 'register' : 'login'}></parley-auth>`;
    return html`<parley-chat .roomId=${roomIdFromPath(path)} .focusSeq=${seqFromPath(path)}></parley-chat>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-app': ParleyApp;
  }
}
