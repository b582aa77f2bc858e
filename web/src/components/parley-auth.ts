import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state as internal } from 'lit/decorators.js';
import { api, ApiError, errorText } from '../api.js';
import { AVATAR_LABELS, avatarSvg } from '../avatars.js';
import { currentPath, linkClick, navigate } from '../router.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { base } from '../styles.js';
import { AVATARS, type Avatar, type Gender } from '../types.js';

/** The sign-in and registration pages. Field errors come from the API and show next to their fields. */
@customElement('parley-auth')
export class ParleyAuth extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @property() mode: 'login' | 'register' = 'login';
  @internal() private errors: Record<string, string> = {};
  @internal() private formError = '';
  @internal() private busy = false;
  @internal() private gender: Gender = 'unspecified';
  @internal() private avatar: Avatar | null = null;

  static override styles = [
    base,
    css`
      :host { display: grid; place-items: center; min-height: 100%; padding: 1.5rem 1rem; overflow-y: auto; height: 100%; }
      .card {
        width: min(440px, 100%); background: var(--surface); border-radius: 18px; box-shadow: var(--shadow);
        padding: 1.75rem 1.5rem; margin: auto;
      }
      .brand { display: flex; align-items: center; gap: 0.6rem; margin-bottom: 0.25rem; }
      .logo { width: 40px; height: 40px; border-radius: 12px; background: linear-gradient(135deg, #2563eb, #22c55e); display: grid; place-items: center; color: #fff; font-weight: 800; font-size: 1.3rem; }
      h1 { font-size: 1.5rem; margin: 0; }
      .sub { color: var(--muted); margin: 0.25rem 0 1.25rem; }
      .submit { width: 100%; margin-top: 0.5rem; min-height: 44px; }
      .switch { text-align: center; margin-top: 1rem; color: var(--muted); }
      fieldset { border: none; padding: 0; margin: 0 0 0.9rem; }
      legend { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.4rem; padding: 0; }
      .avatars { display: flex; flex-wrap: wrap; gap: 0.35rem; }
      .avatars label { position: relative; cursor: pointer; border-radius: 50%; padding: 2px; border: 2px solid transparent; }
      .avatars input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }
      .avatars label:has(input:checked) { border-color: var(--accent); }
      .avatars label:has(input:focus-visible) { outline: 3px solid var(--focus); outline-offset: 1px; }
      .row { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; }
      @media (max-width: 420px) { .row { grid-template-columns: 1fr; } }
    `,
  ];

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('mode')) {
      this.errors = {};
      this.formError = '';
    }
  }

  private field(name: string, label: string, type: string, autocomplete: string, hint?: string) {
    const error = this.errors[name];
    const id = `f-${name}`;
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} name=${name} type=${type} autocomplete=${autocomplete} aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${`${id}-msg`} @input=${() => this.clearError(name)} />
      <div id=${`${id}-msg`} class=${error ? 'error-text' : 'hint'} data-error-for=${name} aria-live="polite">${error ?? hint ?? ''}</div>
    </div>`;
  }

  private clearError(name: string): void {
    if (!this.errors[name]) return;
    const { [name]: _gone, ...rest } = this.errors;
    this.errors = rest;
  }

  override render() {
    const register = this.mode === 'register';
    return html`<main class="card">
      <div class="brand"><div class="logo" aria-hidden="true">P</div><h1>${register ? 'Create your account' : 'Sign in to Parley'}</h1></div>
      <p class="sub">${register ? 'Join the conversation in a minute.' : 'Welcome back. Your rooms are waiting.'}</p>
      ${this.formError ? html`<div class="alert" role="alert">${this.formError}</div>` : nothing}
      <form novalidate @submit=${this.submit} aria-label=${register ? 'Register' : 'Sign in'}>
        ${
          register
            ? html`
              ${this.field('username', 'Username', 'text', 'username', '3–32 letters, digits, “_”, “.” or “-”')}
              ${this.field('email', 'Email', 'email', 'email')}
              ${this.field('password', 'Password', 'password', 'new-password', 'At least 10 characters; a few unrelated words work well.')}
              ${this.field('displayName', 'Display name (optional)', 'text', 'nickname')}
              <div class="field">
                <label for="f-gender">Gender (sets your default avatar)</label>
                <select id="f-gender" name="gender" @change=${(e: Event) => (this.gender = (e.target as HTMLSelectElement).value as Gender)}>
                  <option value="unspecified">Prefer not to say</option>
                  <option value="female">Female</option>
                  <option value="male">Male</option>
                  <option value="other">Other</option>
                </select>
              </div>
              <fieldset>
                <legend>Avatar</legend>
                <div class="avatars">
                  <label title="By gender">
                    <input type="radio" name="avatar" value="" .checked=${this.avatar === null} @change=${() => (this.avatar = null)} aria-label="Default for gender" />
                    ${avatarSvg({ avatar: null, gender: this.gender }, 36)}
                  </label>
                  ${AVATARS.map(
                    (a) => html`<label title=${AVATAR_LABELS[a]}>
                      <input type="radio" name="avatar" value=${a} .checked=${this.avatar === a} @change=${() => (this.avatar = a)} aria-label=${AVATAR_LABELS[a]} />
                      ${avatarSvg({ avatar: a, gender: this.gender }, 36)}
                    </label>`,
                  )}
                </div>
              </fieldset>
            `
            : html`
              ${this.field('login', 'Username or email', 'text', 'username')}
              ${this.field('password', 'Password', 'password', 'current-password')}
            `
        }
        <button class="btn primary submit" type="submit" ?disabled=${this.busy}>
          ${this.busy ? (register ? 'Creating account…' : 'Signing in…') : register ? 'Create account' : 'Sign in'}
        </button>
      </form>
      <p class="switch">
        ${
          register
            ? html`Already have an account? <a href="/login" @click=${linkClick}>Sign in</a>`
            : html`New to Parley? <a href="/register" @click=${linkClick}>Create an account</a>`
        }
      </p>
    </main>`;
  }

  private value(form: HTMLFormElement, name: string): string {
    return ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim();
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    if (this.busy) return;
    const form = e.target as HTMLFormElement;
    this.formError = '';
    const errors: Record<string, string> = {};
    const password = (form.elements.namedItem('password') as HTMLInputElement).value;
    if (this.mode === 'login') {
      const login = this.value(form, 'login');
      if (!login) errors.login = 'Enter your username or email';
      if (!password) errors.password = 'Enter your password';
      this.errors = errors;
      if (Object.keys(errors).length) return this.focusFirstError();
      this.busy = true;
      try {
        await this.client.login(login, password);
        // The app may already have taken the reader on (to a link opened before signing in).
        if (currentPath() === '/login') navigate('/', { replace: true });
      } catch (err) {
        this.formError =
          err instanceof ApiError && err.status === 401 ? 'Wrong username/email or password.' : errorText(err);
      } finally {
        this.busy = false;
      }
      return;
    }
    const body = {
      username: this.value(form, 'username'),
      email: this.value(form, 'email'),
      password,
      displayName: this.value(form, 'displayName') || undefined,
      gender: this.gender,
      avatar: this.avatar,
    };
    if (!body.username) errors.username = 'Choose a username';
    if (!body.email) errors.email = 'Enter your email address';
    if (!password) errors.password = 'Choose a password';
    this.errors = errors;
    if (Object.keys(errors).length) return this.focusFirstError();
    this.busy = true;
    try {
      await api.post('/api/auth/register', body);
      await this.client.login(body.username, password);
      if (currentPath() === '/register') navigate('/', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.details.length) {
        const fields = err.fields();
        const known = ['username', 'email', 'password', 'displayName'];
        const mine: Record<string, string> = {};
        for (const [k, v] of Object.entries(fields)) if (known.includes(k)) mine[k] = sentence(k, v);
        this.errors = mine;
        if (Object.keys(mine).length === 0) this.formError = err.message;
        this.focusFirstError();
      } else {
        this.formError = errorText(err);
      }
    } finally {
      this.busy = false;
    }
  }

  private async focusFirstError(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }
}

const FIELD_NAMES: Record<string, string> = {
  username: 'Username',
  email: 'Email',
  password: 'Password',
  displayName: 'Display name',
};

/** "must be at least 3 characters" -> "Username must be at least 3 characters." */
function sentence(field: string, message: string): string {
  const text = /^(must|may|is|already|should)\b/i.test(message) ? `${FIELD_NAMES[field] ?? field} ${message}` : message;
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-auth': ParleyAuth;
  }
}
