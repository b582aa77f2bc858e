import { createContext } from '@lit/context';
import type { ChatClient } from './client.js';

/** The client, provided by <parley-app> (or by a test with a fake) to every element below it. */
export const clientContext = createContext<ChatClient>(Symbol('parley-client'));
