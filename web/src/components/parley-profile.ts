import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { ApiError, errorText, fieldErrors } from '../api.js';
import { AVATAR_LABELS, avatarSvg } from '../avatars.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import type { ProfilePatch } from '../state/session.js';
import { base, icon } from '../styles.js';
import { AVATARS, type Avatar, type Gender } from '../types.js';
import { dialogStyles } from './dialog-styles.js';

/** The signed-in user's profile: display name, gender, avatar and password. */
@customElement('parley-profile')
export class ParleyProfile extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  @internal() private avatar: Avatar | null = null;
  @internal() private gender: Gender = 'unspecified';
  @internal() private errors: Record<string, string> = {};
  @internal() private busy = false;
  @internal() private username = '';
  @query('dialog') private dialog!: HTMLDialogElement;
  @query('form') private form!: HTMLFormElement;
  static override styles = [
    base,
    dialogStyles,
    css`
      .handle { margin: -0.6rem 0 1rem; color: var(--muted); font-size: 0.85rem; }
      section { margin-top: 0.5rem; }
      section p { margin: -0.3rem 0 0.8rem; color: var(--muted); font-size: 0.85rem; }
    `,
  ];

  async open(): Promise<void> {
    const me = this.client.session.me;
    if (!me) return;
    this.username = me.username;
    this.avatar = me.avatar;
    this.gender = me.gender;
    this.errors = {};
    this.busy = false;
    await this.updateComplete;
    this.form.reset();
    const name = this.renderRoot.querySelector<HTMLInputElement>('#profile-name')!;
    name.value = me.displayName;
    this.dialog.showModal();
    name.focus();
  }

  private async save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const me = this.client.session.me;
    if (!me || this.busy) return;
    const data = new FormData(this.form);
    const displayName = String(data.get('displayName') ?? '').trim();
    const currentPassword = String(data.get('currentPassword') ?? '');
    const newPassword = String(data.get('newPassword') ?? '');
    const patch: ProfilePatch = {};
    if (displayName !== me.displayName) patch.displayName = displayName;
    if (this.gender !== me.gender) patch.gender = this.gender;
    if (this.avatar !== me.avatar) patch.avatar = this.avatar;
    const errors: Record<string, string> = {};
    if (!displayName) errors.displayName = 'Enter a display name';
    if (newPassword || currentPassword) {
      if (!currentPassword) errors.currentPassword = 'Enter your current password to change it';
      if (!newPassword) errors.newPassword = 'Enter the new password';
      patch.currentPassword = currentPassword;
      patch.newPassword = newPassword;
    }
    this.errors = errors;
    if (Object.keys(errors).length) return this.focusFirstError();
    if (!Object.keys(patch).length) {
      this.dialog.close();
      return;
    }
    this.busy = true;
    try {
      await this.client.updateProfile(patch);
      this.dialog.close();
      this.client.notices.toast(
        patch.newPassword ? 'Password changed. Your other sessions were signed out.' : 'Profile saved',
      );
    } catch (err) {
      // Field errors next to their fields, in words: "Password is too weak: …", "The new password must be …".
      const f = fieldErrors(err);
      const code = err instanceof ApiError ? err.code : '';
      const shown: Record<string, string> = {};
      if (code === 'WRONG_PASSWORD') shown.currentPassword = 'This is not your current password';
      else if (f.currentPassword) shown.currentPassword = `The current password ${f.currentPassword}`;
      if (f.newPassword)
        shown.newPassword = code === 'WEAK_PASSWORD' ? errorText(err) : `The new password ${f.newPassword}`;
      if (f.displayName) shown.displayName = `The display name ${f.displayName}`;
      this.errors = Object.keys(shown).length ? shown : { form: errorText(err) };
      await this.focusFirstError();
    } finally {
      this.busy = false;
    }
  }

  private async focusFirstError(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  private field(id: string, name: string, label: string, type: string, autocomplete: string, hint = '') {
    const error = this.errors[name];
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} name=${name} type=${type} autocomplete=${autocomplete} maxlength=${type === 'password' ? 1000 : 64}
        aria-invalid=${error ? 'true' : 'false'} aria-describedby=${`${id}-msg`} />
      <div id=${`${id}-msg`} class=${error ? 'error-text' : 'hint'} data-error-for=${name}>${error ?? hint}</div>
    </div>`;
  }

  override render() {
    return html`<dialog aria-labelledby="profile-title">
      <form @submit=${this.save} novalidate>
        <div class="head"><h2 id="profile-title">Your profile</h2>
          <button type="button" class="icon-btn" aria-label="Close" @click=${() => this.dialog.close()}>${icon('close')}</button></div>
        <p class="handle">Signed in as <strong>@${this.username}</strong>: your username, shown beside your display name.</p>
        ${this.errors.form ? html`<div class="alert" role="alert">${this.errors.form}</div>` : nothing}
        ${this.field('profile-name', 'displayName', 'Display name', 'text', 'nickname')}
        <div class="field">
          <label for="profile-gender">Gender</label>
          <select id="profile-gender" .value=${this.gender} @change=${(e: Event) => (this.gender = (e.target as HTMLSelectElement).value as Gender)}>
            <option value="unspecified" ?selected=${this.gender === 'unspecified'}>Prefer not to say</option>
            <option value="female" ?selected=${this.gender === 'female'}>Female</option>
            <option value="male" ?selected=${this.gender === 'male'}>Male</option>
            <option value="other" ?selected=${this.gender === 'other'}>Other</option>
          </select>
        </div>
        <fieldset>
          <legend>Avatar</legend>
          <div class="avatars">
            <label title="None: a figure by gender"><input type="radio" name="avatar" .checked=${this.avatar === null} @change=${() => (this.avatar = null)} aria-label="No animal (figure by gender)" />${avatarSvg({ avatar: null, gender: this.gender }, 36)}</label>
            ${AVATARS.map(
              (a) =>
                html`<label title=${AVATAR_LABELS[a]}><input type="radio" name="avatar" .checked=${this.avatar === a} @change=${() => (this.avatar = a)} aria-label=${AVATAR_LABELS[a]} />${avatarSvg({ avatar: a, gender: this.gender }, 36)}</label>`,
            )}
          </div>
        </fieldset>
        <section aria-labelledby="password-title">
          <h3 id="password-title">Change password</h3>
          <p>Leave empty to keep your password. Changing it signs out your other sessions.</p>
          ${this.field('profile-current-password', 'currentPassword', 'Current password', 'password', 'current-password')}
          ${this.field('profile-new-password', 'newPassword', 'New password', 'password', 'new-password', 'At least 10 characters; a few unrelated words work well.')}
        </section>
        <div class="dialog-actions">
          <button type="button" class="btn" @click=${() => this.dialog.close()}>Cancel</button>
          <button type="submit" class="btn primary" ?disabled=${this.busy}>${this.busy ? 'Saving…' : 'Save'}</button>
        </div>
      </form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-profile': ParleyProfile;
  }
}
