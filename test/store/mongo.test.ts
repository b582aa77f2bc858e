import t from 'tap';
import type { Store } from '../../server/store/store.js';
import { dropDatabase, freshDbName, MONGODB_URI, openStore, SKIP_REASON } from '../mongo/support.js';
import { storeContract } from './contract.js';

// The same contract suite as every store (invariant 5 in docs/architecture.md), on a fresh database of the
// replica set in MONGODB_URI.
if (!MONGODB_URI) {
  t.test('store contract: mongo', { skip: SKIP_REASON }, async () => {});
} else {
  const uri = MONGODB_URI;
  const dbNames = new Map<Store, string>();
  storeContract(
    'mongo',
    async () => {
      const dbName = freshDbName();
      const store = await openStore(uri, dbName);
      dbNames.set(store, dbName);
      return store;
    },
    async (store) => {
      await store.close();
      await dropDatabase(uri, dbNames.get(store)!);
    },
  );
}
