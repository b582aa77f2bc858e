import { consume } from '@lit/context';
import { LitElement, html, nothing } from 'lit';
import { customElement, property, query, state as internal } from 'lit/decorators.js';
import { errorText, fieldErrors } from '../api.js';
import type { ChatClient } from '../state/client.js';
import { clientContext } from '../state/context.js';
import { base, icon } from '../styles.js';
import { dialogStyles } from './dialog-styles.js';

/** Creates a room (public or private); fires `created` with its id. */
@customElement('parley-create-room')
export class ParleyCreateRoom extends LitElement {
  @consume({ context: clientContext }) @property({ attribute: false }) client!: ChatClient;
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
      const room = await this.client.createRoom({ name, topic, kind });
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

declare global {
  interface HTMLElementTagNameMap {
    'parley-create-room': ParleyCreateRoom;
  }
}
