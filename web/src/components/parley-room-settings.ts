import { consume } from '@lit/context';
import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { allows, mayChangeRoleOf, mayRemove, ROLE_RANK } from '../../../server/rooms/policy.js';
import { ROLES } from '../../../server/store/store.js';
import { errorText, fieldErrors } from '../api.js';
import { avatarSvg } from '../avatars.js';
import { requestConfirm } from '../overlays.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { Watch } from '../state/watch.js';
import { base, icon } from '../styles.js';
import type { Member, Role } from '../types.js';
import { dialogStyles } from './dialog-styles.js';

/** Roles from the lowest up, as the role menu lists them. */
const ROLES_UP = [...ROLES].sort((a, b) => ROLE_RANK[a] - ROLE_RANK[b]);
const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** A room's settings for its owner and admins: name, topic, members and roles, deleting the room. */
@customElement('parley-room-settings')
export class ParleyRoomSettings extends LitElement {
  @internal() private roomId = '';
  @internal() private errors: Record<string, string> = {};
  @internal() private busy = false;
  @query('dialog') private dialog!: HTMLDialogElement;
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
  private readonly room = new Watch(
    this,
    () => this.client?.rooms.store,
    (s) => s.rooms.get(this.roomId),
  );
  private readonly members = new Watch(
    this,
    () => this.client?.members.store,
    (s) => s.byRoom.get(this.roomId),
  );
  static override styles = [base, dialogStyles];

  async open(roomId: string): Promise<void> {
    this.roomId = roomId;
    this.errors = {};
    void this.client.members.load(roomId);
    await this.updateComplete;
    const room = this.client.rooms.get(roomId);
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
    const room = this.client.rooms.get(this.roomId);
    const name = String(data.get('name') ?? '').trim();
    const topic = String(data.get('topic') ?? '').trim();
    const patch: { name?: string; topic?: string } = {};
    if (room && name !== room.name) patch.name = name;
    if (room && topic !== room.topic) patch.topic = topic;
    if (!Object.keys(patch).length) return;
    this.busy = true;
    try {
      await this.client.updateRoom(this.roomId, patch);
      this.errors = {};
      this.client.notices.toast('Room updated');
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
      await this.client.members.add(this.roomId, username);
      form.reset();
      this.errors = {};
      this.client.notices.toast(`Added ${username}`);
    } catch (err) {
      this.errors = { username: fieldErrors(err).username ? `Username ${fieldErrors(err).username}` : errorText(err) };
    }
  }

  private async removeMember(m: Member): Promise<void> {
    if (
      !(await requestConfirm(this, {
        title: `Remove ${m.user.displayName}?`,
        body: 'They will lose access to this room.',
        confirm: 'Remove',
      }))
    )
      return;
    try {
      await this.client.members.remove(this.roomId, m.userId);
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  private async setRole(m: Member, role: Role): Promise<void> {
    if (
      role === 'owner' &&
      !(await requestConfirm(this, {
        title: `Make ${m.user.displayName} the owner?`,
        body: 'You will become an admin.',
        confirm: 'Transfer ownership',
      }))
    ) {
      this.requestUpdate();
      return;
    }
    try {
      await this.client.setRole(this.roomId, m.userId, role);
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  private async deleteRoom(): Promise<void> {
    const room = this.client.rooms.get(this.roomId);
    if (!room) return;
    if (
      !(await requestConfirm(this, {
        title: `Delete ${room.name}?`,
        body: 'The room and all of its messages are deleted for everyone. This cannot be undone.',
        confirm: 'Delete room',
      }))
    )
      return;
    try {
      await this.client.deleteRoom(room.id);
      this.dialog.close();
    } catch (err) {
      this.client.notices.toast(errorText(err), 'error');
    }
  }

  override render() {
    const room = this.room.value;
    const members = this.members.value ?? [];
    const me = room?.membership ?? null;
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
              const canRemove = !!room && mayRemove(room, me, m);
              return html`<li>
                ${avatarSvg(m.user, 28)}
                <span class="who">${m.user.displayName} <small>@${m.user.username}</small></span>
                ${
                  room && mayChangeRoleOf(room, me, m)
                    ? html`<label class="sr-only" for=${`role-${m.userId}`}>Role of ${m.user.displayName}</label>
                      <select id=${`role-${m.userId}`} .value=${m.role} @change=${(e: Event) => this.setRole(m, (e.target as HTMLSelectElement).value as Role)}>
                        ${ROLES_UP.map((r) => html`<option value=${r} ?selected=${m.role === r}>${ROLE_LABELS[r]}</option>`)}
                      </select>`
                    : html`<small>${m.role}</small>`
                }
                ${
                  canRemove
                    ? html`<button class="btn small danger" @click=${() => this.removeMember(m)} aria-label=${`Remove ${m.user.displayName}`}>Remove</button>`
                    : nothing
                }
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
        ${
          room && allows(room, me, 'delete')
            ? html`<section class="danger-zone" aria-label="Danger zone">
              <span>Delete this room and all of its messages.</span>
              <button class="btn danger" @click=${() => this.deleteRoom()}>Delete room</button>
            </section>`
            : nothing
        }
      </div>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-room-settings': ParleyRoomSettings;
  }
}
