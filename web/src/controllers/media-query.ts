import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Whether a media query matches, re-rendering the host (and calling `onChange`) when that changes. */
export class MediaQuery implements ReactiveController {
  private readonly list: MediaQueryList;
  matches: boolean;
  private readonly onListChange = () => {
    this.matches = this.list.matches;
    this.onChange?.(this.matches);
    this.host.requestUpdate();
  };

  constructor(
    private readonly host: ReactiveControllerHost,
    query: string,
    private readonly onChange?: (matches: boolean) => void,
  ) {
    this.list = matchMedia(query);
    this.matches = this.list.matches;
    host.addController(this);
  }

  hostConnected(): void {
    this.matches = this.list.matches;
    this.list.addEventListener('change', this.onListChange);
  }

  hostDisconnected(): void {
    this.list.removeEventListener('change', this.onListChange);
  }
}
