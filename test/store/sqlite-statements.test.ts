import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { withStatementCache } from '../../src/store/sqlite-statements.ts';

/** The prepared-statement cache under Kysely's SQLite driver (src/store/sqlite-statements.ts). */
describe('withStatementCache', () => {
  const open = () => {
    const database = new BetterSqlite3(':memory:');
    database.exec('create table t (id integer primary key, v text)');
    return { database, cached: withStatementCache(database) };
  };

  test('the same SQL text gets the same prepared statement, which runs again with new parameters', () => {
    const { database, cached } = open();
    const insert = cached.prepare('insert into t (v) values (?)');
    assert.equal(cached.prepare('insert into t (v) values (?)'), insert);
    insert.run(['a']);
    cached.prepare('insert into t (v) values (?)').run(['b']);
    assert.deepEqual(cached.prepare('select v from t order by id').all([]), [{ v: 'a' }, { v: 'b' }]);
    database.close();
  });

  test('a statement still being iterated is not handed out again', () => {
    const { database, cached } = open();
    cached.prepare('insert into t (v) values (?)').run(['a']);
    const select = cached.prepare('select v from t');
    const iterating = select.iterate([]);
    iterating.next();
    const other = cached.prepare('select v from t');
    assert.notEqual(other, select);
    assert.deepEqual(other.all([]), [{ v: 'a' }]);
    iterating.return?.();
    assert.equal(cached.prepare('select v from t'), select, 'the cached one again once it is free');
    database.close();
  });

  test('a statement prepared before a schema change still runs against the new schema', () => {
    const { database, cached } = open();
    cached.prepare('insert into t (v) values (?)').run(['a']);
    const select = cached.prepare('select * from t');
    database.exec('alter table t add column w text');
    assert.deepEqual(select.all([]), [{ id: 1, v: 'a', w: null }]);
    database.close();
  });

  test('keeps at most 256 texts, dropping the least recently used', () => {
    const database = new BetterSqlite3(':memory:');
    let prepared = 0;
    const counting = { prepare: (sql: string) => (prepared++, database.prepare(sql)), close: () => database.close() };
    const cached = withStatementCache(counting as unknown as BetterSqlite3.Database);
    const hot = cached.prepare('select 0');
    for (let i = 1; i <= 300; i++) {
      cached.prepare(`select ${i}`);
      if (i % 100 === 0) assert.equal(cached.prepare('select 0'), hot, 'a text in use stays');
    }
    assert.equal(prepared, 301);
    cached.prepare('select 300');
    assert.equal(prepared, 301, 'a recent text is not prepared again');
    cached.prepare('select 1');
    assert.equal(prepared, 302, 'the least recently used ones were dropped');
    database.close();
  });
});
