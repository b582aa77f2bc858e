import type { Signal, SignalBus } from '../store.js';
import { Listeners } from './listeners.js';

/** The signal bus of a single-process store: a signal goes straight to this process's listeners. */
export class MemorySignals implements SignalBus {
  private readonly listeners: Listeners<Signal>;

  constructor(onListenerError?: (err: unknown) => void) {
    this.listeners = new Listeners(onListenerError);
  }

  publish(signal: Signal): void {
    this.listeners.emit(signal);
  }

  onSignal(listener: (signal: Signal) => void): () => void {
    return this.listeners.add(listener);
  }
}
