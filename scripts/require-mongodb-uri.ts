/**
 * `npm run test:mongo` first: without MONGODB_URI every MongoDB suite skips itself and the run would pass having
 * tested nothing, so this fails it instead (CI's MongoDB job must not go green on an unset variable).
 */
const uri = process.env.MONGODB_URI;
if (!uri || !/^mongodb(\+srv)?:\/\//.test(uri)) {
  console.error(
    'npm run test:mongo needs MONGODB_URI set to a MongoDB replica set (mongodb://...): see "Scale out on MongoDB" ' +
      'in the README',
  );
  process.exit(1);
}
