import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from './database.js';

describe('openDatabase + migrate', () => {
  it('opens a WAL database and applies each module’s steps once, in order', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'db-')), 'store.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(migrate(db, 'things', ['CREATE TABLE things (id TEXT PRIMARY KEY)'])).toBe(1);
    expect(migrate(db, 'things', ['CREATE TABLE things (id TEXT PRIMARY KEY)', 'ALTER TABLE things ADD COLUMN name TEXT'])).toBe(2);
    expect(migrate(db, 'other', ['CREATE TABLE other (id INTEGER)'])).toBe(1);
    db.prepare('INSERT INTO things (id, name) VALUES (?, ?)').run('a', 'x');
    db.close();
    const again = openDatabase(file);
    expect(migrate(again, 'things', ['CREATE TABLE things (id TEXT PRIMARY KEY)', 'ALTER TABLE things ADD COLUMN name TEXT'])).toBe(2);
    expect(again.prepare('SELECT name FROM things').get()).toEqual({ name: 'x' });
    expect(() => migrate(again, 'things', ['CREATE TABLE things (id TEXT PRIMARY KEY)'])).toThrow(/at version 2, this build knows 1/);
  });

  it('rolls back a failing step so the version stays put', () => {
    const db = openDatabase(':memory:');
    expect(() => migrate(db, 'bad', ['CREATE TABLE ok (id INTEGER)', 'NOT SQL'])).toThrow();
    expect(db.prepare("SELECT version FROM schema_migrations WHERE module = 'bad'").get()).toEqual({ version: 1 });
  });
});
