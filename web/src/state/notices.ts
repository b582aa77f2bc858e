import { Store } from './store.js';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

/** Short notices (toasts): the newest four, each for a few seconds (errors longer). */
export class Notices {
  readonly store = new Store<readonly Toast[]>([]);
  private nextId = 1;

  toast(text: string, kind: Toast['kind'] = 'info'): void {
    const toast = { id: this.nextId++, text, kind };
    this.store.update((toasts) => [...toasts, toast].slice(-4));
    setTimeout(() => this.dismiss(toast.id), kind === 'error' ? 7000 : 4000);
  }

  dismiss(id: number): void {
    this.store.update((toasts) => (toasts.some((t) => t.id === id) ? toasts.filter((t) => t.id !== id) : toasts));
  }
}
