import t from 'tap';
import { failCommand, memberUri, namedFailPoint, uriWithParams } from '../mongo/failpoints.js';

/**
 * The failover tests' helpers that need no server: the configureFailPoint documents they send and the connection
 * strings they build (a store scoped by appName, a direct connection to one member). The failover tests themselves
 * run only where MONGODB_URI is set (test/mongo/failover.test.ts).
 */
const RS = 'mongodb://mongo1:27017,mongo2:27018,mongo3:27019/parley?replicaSet=rs0';

t.test('failCommand documents', async (t) => {
  t.same(
    failCommand(
      { times: 1 },
      {
        failCommands: ['getMore'],
        appName: 'parleyA',
        errorCode: 286,
        errorLabels: [],
        blockConnection: true,
        blockTimeMS: 3000,
      },
    ),
    {
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: {
        failCommands: ['getMore'],
        appName: 'parleyA',
        errorCode: 286,
        errorLabels: [],
        blockConnection: true,
        blockTimeMS: 3000,
      },
    },
    'position lost, after a blocked getMore, for one instance only',
  );
  t.same(
    failCommand('alwaysOn', { failCommands: ['commitTransaction'], closeConnection: true, appName: undefined }),
    {
      configureFailPoint: 'failCommand',
      mode: 'alwaysOn',
      data: { failCommands: ['commitTransaction'], closeConnection: true },
    },
    'unset fields are left out (the server rejects unknown or null ones)',
  );
  t.same(failCommand('off'), { configureFailPoint: 'failCommand', mode: 'off' }, 'off needs no data');
  t.throws(() => failCommand('alwaysOn', { failCommands: [] }), /commands to fail/, 'a failpoint that fails nothing');
  t.throws(
    () => failCommand({ times: 1 }, { failCommands: ['getMore'], blockConnection: true }),
    /blockTimeMS/,
    'a block without a duration',
  );
  t.same(namedFailPoint('stopReplProducer', 'alwaysOn'), { configureFailPoint: 'stopReplProducer', mode: 'alwaysOn' });
});

t.test('connection strings', async (t) => {
  t.equal(
    uriWithParams(RS, { appName: 'parleyA' }),
    'mongodb://mongo1:27017,mongo2:27018,mongo3:27019/parley?replicaSet=rs0&appName=parleyA',
    'appName added to the replica-set URI',
  );
  t.equal(
    uriWithParams('mongodb://h:1/?appName=x&readPreference=primary', {
      appname: 'y',
      readPreference: 'secondaryPreferred',
    }),
    'mongodb://h:1/?appname=y&readPreference=secondaryPreferred',
    'parameters of the same name (any case) are replaced',
  );
  t.equal(uriWithParams('mongodb://h:1', { appName: 'a b' }), 'mongodb://h:1/?appName=a%20b', 'no path, no query');
  t.equal(
    memberUri(RS, 'mongo2:27018'),
    'mongodb://mongo2:27018/parley?directConnection=true',
    'one member, directly, without replicaSet',
  );
  t.equal(
    memberUri('mongodb://u:p@h1:1,h2:2/?replicaSet=rs0&authSource=admin&directConnection=false', 'h2:2'),
    'mongodb://u:p@h2:2/?authSource=admin&directConnection=true',
    'credentials and other options kept',
  );
  t.throws(() => memberUri('mongodb+srv://cluster.example.com/', 'h:1'), /not mongodb\+srv/);
});
