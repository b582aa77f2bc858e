import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { onSessionLost } from '../api.js';
import { StateController } from '../controller.js';
import { currentPath, navigate, onRoute, roomIdFromPath } from '../router.js';
import { state } from '../state.js';
import { base } from '../styles.js';
import './parley-auth.js';
import './parley-chat.js';

const AUTH_PAGES = new Set(['/login', '/register']);

/** The app: decides between the sign-in pages and the chat from the session and the address. */
@customElement('parley-app')
export class ParleyApp extends LitElement {
  private readonly stateCtl = new StateController(this);
  private offRoute?: () => void;
  private offSession?: () => void;
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
    this.offRoute = onRoute(() => this.requestUpdate());
    this.offSession = onSessionLost(() => {
      if (state.me) state.signedOut();
    });
    state.addEventListener('signedout', this.onSignedOut);
    state.addEventListener('roomgone', this.onRoomGone);
    // Another tab signed out: this one follows.
    window.addEventListener('storage', (e) => {
      if (e.key === 'parley.signedOut' && state.me) state.signedOut();
    });
    void state.checkSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offRoute?.();
    this.offSession?.();
    state.removeEventListener('signedout', this.onSignedOut);
    state.removeEventListener('roomgone', this.onRoomGone);
  }

  /** Where the current address should lead, given the session; null when it is fine as it is. */
  private redirect(): string | null {
    const path = currentPath();
    if (!state.authChecked) return null;
    if (!state.me) return AUTH_PAGES.has(path) ? null : '/login';
    if (AUTH_PAGES.has(path)) return '/';
    if (path === '/' && state.roomsLoaded) {
      const id = state.defaultRoomId();
      return id ? `/rooms/${id}` : null;
    }
    if (path !== '/' && !roomIdFromPath(path)) return '/';
    return null;
  }

  override updated(): void {
    const to = this.redirect();
    if (to) navigate(to, { replace: true });
    const unread = state.totalUnread;
    const room = state.openRoomId ? state.rooms.get(state.openRoomId) : undefined;
    document.title = `${unread ? `(${unread}) ` : ''}${room ? `${room.name} · ` : ''}Parley`;
  }

  override render() {
    void this.stateCtl;
    if (!state.authChecked) return html`<div class="splash" role="status">Loading Parley…</div>`;
    const path = currentPath();
    if (!state.me) {
      return html`<parley-auth .mode=${path === '/register' ? 'register' : 'login'}></parley-auth>`;
    }
    return html`<parley-chat .roomId=${roomIdFromPath(path)}></parley-chat>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-app': ParleyApp;
  }
}
