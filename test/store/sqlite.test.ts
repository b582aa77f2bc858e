import path from 'node:path';
import { rmSync } from 'node:fs';
import { SqliteStore } from '../../server/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/app.js';
import { storeContract } from './contract.js';

const dirs = new Map<object, string>();
storeContract(
  'sqlite',
  async () => {
    const dir = tempDir();
    const store = new SqliteStore({ file: path.join(dir, 'parley.db') });
    dirs.set(store, dir);
    return store;
  },
  async (store) => {
    await store.close();
    rmSync(dirs.get(store)!, { recursive: true, force: true });
  },
);
