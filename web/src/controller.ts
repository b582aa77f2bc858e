import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { state } from './state.js';

/** Re-renders its host whenever the shared state changes. */
export class StateController implements ReactiveController {
  private readonly onChange = () => this.host.requestUpdate();
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    state.addEventListener('change', this.onChange);
  }
  hostDisconnected(): void {
    state.removeEventListener('change', this.onChange);
  }
}
