import t from 'tap';
import mongoose from 'mongoose';
import { connectionOptions, DEFAULT_TIMEOUT_MS } from '../../server/store/mongo/connect.js';

/**
 * The options the Mongo store connects with, as the driver resolves them against the connection string. No server
 * is needed (none can run here): a mongoose connection builds its driver client at once, before it reaches any host,
 * and is closed again straight away.
 */
function resolved(uri: string) {
  const conn = mongoose.createConnection(uri, { ...connectionOptions(uri, {}), serverSelectionTimeoutMS: 100 });
  conn.on('error', () => {}); // the hosts do not exist
  const options = conn.getClient().options;
  return { options, close: () => conn.close() };
}

t.test('reads go to the primary at read concern majority, whatever the URI asks', async (t) => {
  const uri =
    'mongodb://db1.invalid:27017,db2.invalid:27018/parley?replicaSet=rs0' +
    '&readPreference=secondaryPreferred&readConcernLevel=local';
  const { options, close } = resolved(uri);
  t.teardown(close);
  t.equal(options.readPreference.mode, 'primary', 'read preference pinned to the primary');
  t.equal(options.readConcern?.level, 'majority', 'read concern majority, like the change stream');
  t.equal(options.writeConcern?.w, 'majority', 'writes stay majority-acknowledged');
});

t.test('every operation is time-bounded: timeoutMS by default, the URI may set its own', async (t) => {
  const plain = resolved('mongodb://db1.invalid:27017/parley?replicaSet=rs0');
  t.teardown(plain.close);
  t.equal(plain.options.timeoutMS, DEFAULT_TIMEOUT_MS, `timeoutMS ${DEFAULT_TIMEOUT_MS} when the URI says nothing`);
  t.ok(DEFAULT_TIMEOUT_MS >= 10_000 && DEFAULT_TIMEOUT_MS <= 15_000, 'long enough for an election, bounded');
  const own = resolved('mongodb://db1.invalid:27017/parley?replicaSet=rs0&timeoutms=2500');
  t.teardown(own.close);
  t.equal(own.options.timeoutMS, 2500, "the URI's own timeoutMS wins (option names ignore case)");
});
