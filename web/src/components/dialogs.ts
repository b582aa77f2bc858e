import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state as internal } from 'lit/decorators.js';
import { ApiError, errorText } from '../api.js';
import { AVATAR_LABELS, avatarSvg } from '../avatars.js';
import { StateController } from '../controller.js';
import { state } from '../state.js';
import { base, icon } from '../styles.js';
import { AVATARS, type Avatar, type Gender, type Member, type Role } from '../types.js';

const dialogStyles = css`
  :host { display: contents; }
  .head { display: flex; align-items: center; gap: 0.5rem; margin-bottom: 1rem; }
  .head h2 { flex: 1; margin: 0; }
  .kinds { display: grid; grid-template-columns: 1fr 1fr; gap: 0.5rem; }
  .kinds label { border: 1px solid var(--border); border-radius: 10px; padding: 0.6rem; display: flex; gap: 0.5rem; align-items: flex-start; cursor: pointer; }
  .kinds label:has(input:checked) { border-color: var(--accent); background: var(--accent-soft); }
  .kinds small { display: block; color: var(--muted); }
  fieldset { border: none; padding: 0; margin: 0 0 0.9rem; }
  legend { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.4rem; padding: 0; }
  section { border-top: 1px solid var(--border); padding-top: 1rem; margin-top: 1rem; }
  section h3 { margin: 0 0 0.6rem; font-size: 1rem; }
  ul { list-style: none; padding: 0; margin: 0 0 0.75rem; max-height: 260px; overflow-y: auto; }
  li { display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0; }
  li .who { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  li select { width: auto; padding: 0.25rem 0.4rem; }
  .inline { display: flex; gap: 0.5rem; align-items: flex-start; }
  .inline input { flex: 1; }
  .avatars { display: flex; flex-wrap: wrap; gap: 0.35rem; }
  .avatars label { position: relative; cursor: pointer; border-radius: 50%; padding: 2px; border: 2px solid transparent; }
  .avatars input { position: absolute; opacity: 0; inset: 0; margin: 0; }
  .avatars label:has(input:checked) { border-color: var(--accent); }
  .avatars label:has(input:focus-visible) { outline: 3px solid var(--focus); }
  .danger-zone { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; }
`;

function fieldErrors(err: unknown): Record<string, string> {
  return err instanceof ApiError ? err.fields() : {};
}

// ---- confirm ------------------------------------------------------------------------------------------------

interface ConfirmOptions {
  title: string;
  body: string;
  confirm: string;
}

let confirmInstance: ConfirmDialog | null = null;

/** Asks the user to confirm a destructive action in a modal dialog. */
export function askConfirm(opts: ConfirmOptions): Promise<boolean> {
  return confirmInstance ? confirmInstance.ask(opts) : Promise.resolve(window.confirm(opts.title));
}

@customElement('parley-confirm')
export class ConfirmDialog extends LitElement {
  @internal() private opts: ConfirmOptions = { title: '', body: '', confirm: 'OK' };
  @query('dialog') private dialog!: HTMLDialogElement;
  private resolve: ((ok: boolean) => void) | null = null;
  static override styles = [base, dialogStyles];

  override connectedCallback(): void {
    super.connectedCallback();
    confirmInstance = this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (confirmInstance === this) confirmInstance = null;
  }

  async ask(opts: ConfirmOptions): Promise<boolean> {
    this.resolve?.(false);
    this.opts = opts;
    await this.updateComplete;
    this.dialog.showModal();
    this.renderRoot.querySelector<HTMLButtonElement>('.cancel')?.focus();
    return new Promise((resolve) => (this.resolve = resolve));
  }

  private done(ok: boolean): void {
    this.resolve?.(ok);
    this.resolve = null;
    if (this.dialog.open) this.dialog.close();
  }

  override render() {
    return html`<dialog aria-labelledby="confirm-title" @close=${() => this.done(false)}>
      <div class="dialog-body">
        <h2 id="confirm-title">${this.opts.title}</h2>
        <p>${this.opts.body}</p>
        <div class="dialog-actions">
          <button class="btn cancel" @click=${() => this.done(false)}>Cancel</button>
          <button class="btn danger solid" data-testid="confirm" @click=${() => this.done(true)}>${this.opts.confirm}</button>
        </div>
      </div>
    </dialog>`;
  }
}

// ---- create room --------------------------------------------------------------------------------------------

@customElement('parley-create-room')
export class CreateRoomDialog extends LitElement {
  @internal() private errors: Record<string, string> = {};
  @internal() private busy = false;
  @query('dialog') private dialog!: HTMLDialogElement;
  @query('form') private form!: HTMLFormElement;
  static override styles = [base, dialogStyles];

  open(): void {
    this.errors = {};
    this.form.reset();
    this.dialog.showModal();
    this.renderRoot.querySelector<HTMLInputElement>('#room-name')?.focus();
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const data = new FormData(this.form);
    const name = String(data.get('name') ?? '').trim();
    const topic = String(data.get('topic') ?? '').trim();
    const kind = data.get('kind') === 'private' ? 'private' : 'public';
    if (!name) {
      this.errors = { name: 'Give the room a name.' };
      return;
    }
    this.busy = true;
    try {
      const room = await state.createRoom({ name, topic, kind });
      this.dialog.close();
      this.dispatchEvent(new CustomEvent('created', { detail: room.id }));
    } catch (err) {
      const f = fieldErrors(err);
      this.errors = Object.keys(f).length ? f : { form: errorText(err) };
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<dialog aria-labelledby="create-title">
      <form @submit=${this.submit} novalidate>
        <div class="head"><h2 id="create-title">Create a room</h2>
          <button type="button" class="icon-btn" aria-label="Close" @click=${() => this.dialog.close()}>${icon('close')}</button></div>
        ${this.errors.form ? html`<div class="alert" role="alert">${this.errors.form}</div>` : nothing}
        <div class="field">
          <label for="room-name">Name</label>
          <input id="room-name" name="name" type="text" maxlength="80" autocomplete="off" aria-invalid=${this.errors.name ? 'true' : 'false'} aria-describedby="room-name-msg" />
          <div id="room-name-msg" class="error-text">${this.errors.name ?? ''}</div>
        </div>
        <div class="field">
          <label for="room-topic">Topic <span class="hint">(optional)</span></label>
          <input id="room-topic" name="topic" type="text" maxlength="300" autocomplete="off" aria-invalid=${this.errors.topic ? 'true' : 'false'} aria-describedby="room-topic-msg" />
          <div id="room-topic-msg" class="error-text">${this.errors.topic ?? ''}</div>
        </div>
        <fieldset>
          <legend>Who can join?</legend>
          <div class="kinds">
            <label><input type="radio" name="kind" value="public" checked /><span><strong>Public</strong><small>Anyone can find and join it.</small></span></label>
            <label><input type="radio" name="kind" value="private" /><span><strong>Private</strong><small>Only people you add.</small></span></label>
          </div>
        </fieldset>
        <div class="dialog-actions">
          <button type="button" class="btn" @click=${() => this.dialog.close()}>Cancel</button>
          <button type="submit" class="btn primary" ?disabled=${this.busy}>${this.busy ? 'Creating…' : 'Create room'}</button>
        </div>
      </form>
    </dialog>`;
  }
}

// ---- room settings ------------------------------------------------------------------------------------------

@customElement('parley-room-settings')
export class RoomSettingsDialog extends LitElement {
  @internal() private roomId = '';
  @internal() private errors: Record<string, string> = {};
  @internal() private busy = false;
  @query('dialog') private dialog!: HTMLDialogElement;
  private readonly stateCtl = new StateController(this);
  static override styles = [base, dialogStyles];

  async open(roomId: string): Promise<void> {
    this.roomId = roomId;
    this.errors = {};
    void state.loadMembers(roomId);
    await this.updateComplete;
    const room = state.rooms.get(roomId);
    const name = this.renderRoot.querySelector<HTMLInputElement>('#settings-name');
    const topic = this.renderRoot.querySelector<HTMLInputElement>('#settings-topic');
    if (name) name.value = room?.name ?? '';
    if (topic) topic.value = room?.topic ?? '';
    this.dialog.showModal();
    name?.focus();
  }

  private async save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const room = state.rooms.get(this.roomId);
    const name = String(data.get('name') ?? '').trim();
    const topic = String(data.get('topic') ?? '').trim();
    const patch: { name?: string; topic?: string } = {};
    if (room && name !== room.name) patch.name = name;
    if (room && topic !== room.topic) patch.topic = topic;
    if (!Object.keys(patch).length) return;
    this.busy = true;
    try {
      await state.updateRoom(this.roomId, patch);
      this.errors = {};
      state.toast('Room updated');
    } catch (err) {
      const f = fieldErrors(err);
      this.errors = Object.keys(f).length ? f : { form: errorText(err) };
    } finally {
      this.busy = false;
    }
  }

  private async add(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const username = String(new FormData(form).get('username') ?? '').trim();
    if (!username) return;
    try {
      await state.addMember(this.roomId, username);
      form.reset();
      this.errors = {};
      state.toast(`Added ${username}`);
    } catch (err) {
      this.errors = { username: fieldErrors(err).username ? `Username ${fieldErrors(err).username}` : errorText(err) };
    }
  }

  private async removeMember(m: Member): Promise<void> {
    if (!(await askConfirm({ title: `Remove ${m.user.displayName}?`, body: 'They will lose access to this room.', confirm: 'Remove' }))) return;
    try {
      await state.removeMember(this.roomId, m.userId);
    } catch (err) {
      state.toast(errorText(err), 'error');
    }
  }

  private async setRole(m: Member, role: Role): Promise<void> {
    if (role === 'owner' && !(await askConfirm({ title: `Make ${m.user.displayName} the owner?`, body: 'You will become an admin.', confirm: 'Transfer ownership' }))) {
      this.requestUpdate();
      return;
    }
    try {
      await state.setRole(this.roomId, m.userId, role);
    } catch (err) {
      state.toast(errorText(err), 'error');
    }
  }

  private async deleteRoom(): Promise<void> {
    const room = state.rooms.get(this.roomId);
    if (!room) return;
    if (!(await askConfirm({ title: `Delete ${room.name}?`, body: 'The room and all of its messages are deleted for everyone. This cannot be undone.', confirm: 'Delete room' }))) return;
    try {
      await state.deleteRoom(room.id);
      this.dialog.close();
    } catch (err) {
      state.toast(errorText(err), 'error');
    }
  }

  override render() {
    void this.stateCtl;
    const room = state.rooms.get(this.roomId);
    const myRole = state.roleIn(this.roomId);
    const members = state.members.get(this.roomId) ?? [];
    const rank = { owner: 3, admin: 2, member: 1 } as const;
    return html`<dialog aria-labelledby="settings-title">
      <div class="dialog-body">
        <div class="head"><h2 id="settings-title">Room settings</h2>
          <button type="button" class="icon-btn" aria-label="Close" @click=${() => this.dialog.close()}>${icon('close')}</button></div>
        ${this.errors.form ? html`<div class="alert" role="alert">${this.errors.form}</div>` : nothing}
        <form @submit=${this.save} novalidate>
          <div class="field">
            <label for="settings-name">Name</label>
            <input id="settings-name" name="name" type="text" maxlength="80" aria-invalid=${this.errors.name ? 'true' : 'false'} aria-describedby="settings-name-msg" />
            <div id="settings-name-msg" class="error-text">${this.errors.name ?? ''}</div>
          </div>
          <div class="field">
            <label for="settings-topic">Topic</label>
            <input id="settings-topic" name="topic" type="text" maxlength="300" aria-invalid=${this.errors.topic ? 'true' : 'false'} aria-describedby="settings-topic-msg" />
            <div id="settings-topic-msg" class="error-text">${this.errors.topic ?? ''}</div>
          </div>
          <div class="dialog-actions"><button class="btn primary" type="submit" ?disabled=${this.busy}>Save changes</button></div>
        </form>
        <section aria-labelledby="settings-members">
          <h3 id="settings-members">Members (${members.length})</h3>
          <ul>
            ${members.map((m) => {
              const self = m.userId === state.me?.id;
              const canRemove = !self && myRole !== null && rank[myRole] > rank[m.role] && rank[myRole] >= 2;
              return html`<li>
                ${avatarSvg(m.user, 28)}
                <span class="who">${m.user.displayName} <small>@${m.user.username}</small></span>
                ${myRole === 'owner' && !self
                  ? html`<label class="sr-only" for=${`role-${m.userId}`}>Role of ${m.user.displayName}</label>
                      <select id=${`role-${m.userId}`} .value=${m.role} @change=${(e: Event) => this.setRole(m, (e.target as HTMLSelectElement).value as Role)}>
                        <option value="member" ?selected=${m.role === 'member'}>Member</option>
                        <option value="admin" ?selected=${m.role === 'admin'}>Admin</option>
                        <option value="owner" ?selected=${m.role === 'owner'}>Owner</option>
                      </select>`
                  : html`<small>${m.role}</small>`}
                ${canRemove
                  ? html`<button class="btn small danger" @click=${() => this.removeMember(m)} aria-label=${`Remove ${m.user.displayName}`}>Remove</button>`
                  : nothing}
              </li>`;
            })}
          </ul>
          <form class="inline" @submit=${this.add} novalidate>
            <label class="sr-only" for="add-username">Username to add</label>
            <input id="add-username" name="username" type="text" placeholder="Add by username" autocomplete="off"
              aria-invalid=${this.errors.username ? 'true' : 'false'} aria-describedby="add-username-msg" />
            <button class="btn" type="submit">Add</button>
          </form>
          <div id="add-username-msg" class="error-text">${this.errors.username ?? ''}</div>
        </section>
        ${myRole === 'owner' && room
          ? html`<section class="danger-zone" aria-label="Danger zone">
              <span>Delete this room and all of its messages.</span>
              <button class="btn danger" @click=${() => this.deleteRoom()}>Delete room</button>
            </section>`
          : nothing}
      </div>
    </dialog>`;
  }
}

// ---- profile ------------------------------------------------------------------------------------------------

@customElement('parley-profile')
export class ProfileDialog extends LitElement {
  @internal() private avatar: Avatar | null = null;
  @internal() private gender: Gender = 'unspecified';
  @internal() private errors: Record<string, string> = {};
  @internal() private busy = false;
  @query('dialog') private dialog!: HTMLDialogElement;
  @query('form') private form!: HTMLFormElement;
  static override styles = [
    base,
    dialogStyles,
    css`
      section { margin-top: 0.5rem; }
      section p { margin: -0.3rem 0 0.8rem; color: var(--muted); font-size: 0.85rem; }
    `,
  ];

  async open(): Promise<void> {
    const me = state.me;
    if (!me) return;
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
    const me = state.me;
    if (!me || this.busy) return;
    const data = new FormData(this.form);
    const displayName = String(data.get('displayName') ?? '').trim();
    const currentPassword = String(data.get('currentPassword') ?? '');
    const newPassword = String(data.get('newPassword') ?? '');
    const patch: Parameters<typeof state.updateProfile>[0] = {};
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
      await state.updateProfile(patch);
      this.dialog.close();
      state.toast(patch.newPassword ? 'Password changed. Your other sessions were signed out.' : 'Profile saved');
    } catch (err) {
      // Field errors next to their fields, in words: "Password is too weak: …", "The new password must be …".
      const f = fieldErrors(err);
      const code = err instanceof ApiError ? err.code : '';
      const shown: Record<string, string> = {};
      if (code === 'WRONG_PASSWORD') shown.currentPassword = 'This is not your current password';
      else if (f.currentPassword) shown.currentPassword = `The current password ${f.currentPassword}`;
      if (f.newPassword) shown.newPassword = code === 'WEAK_PASSWORD' ? errorText(err) : `The new password ${f.newPassword}`;
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
              (a) => html`<label title=${AVATAR_LABELS[a]}><input type="radio" name="avatar" .checked=${this.avatar === a} @change=${() => (this.avatar = a)} aria-label=${AVATAR_LABELS[a]} />${avatarSvg({ avatar: a, gender: this.gender }, 36)}</label>`,
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

// ---- lightbox -----------------------------------------------------------------------------------------------

export interface LightboxImage {
  src: string;
  alt: string;
  width: number;
  height: number;
  caption: string;
}

let lightboxInstance: Lightbox | null = null;

/** Shows an image full size in a modal dialog; focus returns to `opener` when it closes. */
export function openLightbox(image: LightboxImage, opener: HTMLElement | null): void {
  if (lightboxInstance) void lightboxInstance.show(image, opener);
  else window.open(image.src, '_blank', 'noopener');
}

@customElement('parley-lightbox')
export class Lightbox extends LitElement {
  @internal() private image: LightboxImage | null = null;
  @internal() private failed = false;
  @internal() private loaded = false;
  @query('dialog') private dialog!: HTMLDialogElement;
  private opener: HTMLElement | null = null;

  static override styles = [
    base,
    css`
      :host { display: contents; }
      dialog.lightbox {
        width: 100vw; height: 100dvh; max-width: none; max-height: none; margin: 0; border-radius: 0; padding: 0;
        background: rgba(2, 6, 23, 0.92); color: #fff; box-shadow: none;
      }
      dialog.lightbox::backdrop { background: rgba(2, 6, 23, 0.6); }
      .frame { display: flex; flex-direction: column; height: 100%; }
      .bar { display: flex; align-items: center; gap: 0.5rem; padding: 0.5rem 0.75rem; }
      .bar h2 { flex: 1; margin: 0; font-size: 0.95rem; font-weight: 600; min-width: 0; overflow-wrap: anywhere; }
      .bar a { color: #bfdbfe; font-size: 0.9rem; white-space: nowrap; }
      .icon-btn { color: #fff; }
      .icon-btn:hover { background: rgba(255, 255, 255, 0.12); border-color: transparent; }
      .stage { flex: 1; min-height: 0; display: grid; place-items: center; padding: 0 0.75rem 0.75rem; }
      .stage img {
        display: block; max-width: 100%; max-height: 100%; width: auto; height: auto; object-fit: contain; border-radius: 4px;
        background: rgba(255, 255, 255, 0.06);
      }
      .stage img:not(.loaded) { min-width: min(200px, 100%); min-height: 120px; }
      .note { color: #cbd5e1; }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    lightboxInstance = this;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (lightboxInstance === this) lightboxInstance = null;
  }

  async show(image: LightboxImage, opener: HTMLElement | null): Promise<void> {
    this.image = image;
    this.failed = false;
    this.loaded = false;
    this.opener = opener;
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
    this.renderRoot.querySelector<HTMLElement>('.close')?.focus();
  }

  private onClose(): void {
    this.image = null;
    const opener = this.opener;
    this.opener = null;
    // Focus goes back to the thumbnail that opened it (across shadow roots, which the browser may not do).
    if (opener?.isConnected) opener.focus();
  }

  private onClick(e: MouseEvent): void {
    // A click on the dark area around the image closes it.
    const t = e.target as HTMLElement;
    if (t === this.dialog || t.classList.contains('stage') || t.classList.contains('frame')) this.dialog.close();
  }

  override render() {
    const img = this.image;
    return html`<dialog class="lightbox" aria-labelledby="lightbox-title" @close=${this.onClose} @click=${this.onClick} data-testid="lightbox">
      ${img
        ? html`<div class="frame">
            <div class="bar">
              <h2 id="lightbox-title">${img.caption}</h2>
              <a href=${img.src} target="_blank" rel="noopener noreferrer">Open original</a>
              <button class="icon-btn close" type="button" aria-label="Close image" @click=${() => this.dialog.close()}>${icon('close')}</button>
            </div>
            <div class="stage">
              ${this.failed
                ? html`<p class="note" role="alert">The image could not be loaded.</p>`
                : html`<img src=${img.src} alt=${img.alt} width=${img.width || nothing} height=${img.height || nothing} class=${this.loaded ? 'loaded' : ''}
                    @load=${() => (this.loaded = true)} @error=${() => (this.failed = true)} />`}
            </div>
          </div>`
        : nothing}
    </dialog>`;
  }
}

// ---- toasts -------------------------------------------------------------------------------------------------

@customElement('parley-toasts')
export class Toasts extends LitElement {
  private readonly stateCtl = new StateController(this);
  static override styles = [
    base,
    css`
      :host { position: fixed; left: 50%; transform: translateX(-50%); bottom: 96px; z-index: 50; display: grid; gap: 0.5rem; width: min(420px, calc(100vw - 24px)); pointer-events: none; }
      .toast { pointer-events: auto; display: flex; align-items: center; gap: 0.5rem; background: #0f172a; color: #fff; border-radius: 12px; padding: 0.6rem 0.6rem 0.6rem 0.9rem; box-shadow: var(--shadow); }
      .toast.error { background: var(--danger); }
      .toast span { flex: 1; }
      .icon-btn { color: #fff; width: 32px; height: 32px; }
      .icon-btn:hover { background: rgba(255, 255, 255, 0.15); }
    `,
  ];

  override render() {
    void this.stateCtl;
    return html`<div role="status" aria-live="polite" style="display:contents">
      ${state.toasts.map(
        (t) => html`<div class="toast ${t.kind}"><span>${t.text}</span>
          <button class="icon-btn" aria-label="Dismiss" @click=${() => state.dismissToast(t.id)}>${icon('close')}</button></div>`,
      )}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-confirm': ConfirmDialog;
    'parley-create-room': CreateRoomDialog;
    'parley-room-settings': RoomSettingsDialog;
    'parley-profile': ProfileDialog;
    'parley-lightbox': Lightbox;
    'parley-toasts': Toasts;
  }
}
