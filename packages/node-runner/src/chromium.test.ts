import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { chromiumExecutable, chromiumPlan } from './chromium.ts';

const APT_INSTALL = [
  'env',
  'DEBIAN_FRONTEND=noninteractive',
  'apt-get',
  'install',
  '-y',
  '--no-install-recommends',
  'chromium',
];
const nothingExists = () => false;

/** A PATH whose first directory holds a non-executable `chromium` and whose second an executable one. */
function pathWithChromium(t: TestContext): { path: string; chromium: string; without: string } {
  const dir = mkdtempSync(join(tmpdir(), 'blgv-chromium-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [notExecutable, bin] = [join(dir, 'a'), join(dir, 'b')];
  mkdirSync(notExecutable);
  mkdirSync(bin);
  writeFileSync(join(notExecutable, 'chromium'), '');
  const chromium = join(bin, 'chromium');
  writeFileSync(chromium, '#!/bin/sh\n');
  chmodSync(chromium, 0o755);
  return { path: `${notExecutable}:${bin}`, chromium, without: notExecutable };
}

test('chromium is BLGV_CHROMIUM when set, else the executable `chromium` on PATH', (t) => {
  const { path, chromium, without } = pathWithChromium(t);
  assert.equal(chromiumExecutable({ PATH: path }), chromium);
  assert.equal(chromiumExecutable({ PATH: without }), undefined, 'a chromium that cannot run is not one');
  assert.equal(chromiumExecutable({ PATH: path, BLGV_CHROMIUM: '/opt/chrome' }), '/opt/chrome');
});

test('a chromium on PATH is used as it is: nothing installed', (t) => {
  const { path, chromium } = pathWithChromium(t);
  assert.deepEqual(chromiumPlan({ PATH: path }, nothingExists, { apt: true, root: true, sudo: true }), {
    kind: 'present',
    path: chromium,
  });
});

test("a missing chromium is installed from Debian's packages as root, or with passwordless sudo", (t) => {
  const { without } = pathWithChromium(t);
  assert.deepEqual(chromiumPlan({ PATH: without }, nothingExists, { apt: true, root: true, sudo: false }), {
    kind: 'install',
    commands: [['apt-get', 'update'], APT_INSTALL],
  });
  assert.deepEqual(chromiumPlan({ PATH: without }, nothingExists, { apt: true, root: false, sudo: true }), {
    kind: 'install',
    commands: [
      ['sudo', '-n', 'apt-get', 'update'],
      ['sudo', '-n', ...APT_INSTALL],
    ],
  });
});

test('a missing chromium that cannot be installed fails saying what to install', (t) => {
  const { without } = pathWithChromium(t);
  for (const rights of [
    { apt: true, root: false, sudo: false },
    { apt: false, root: true, sudo: true },
  ]) {
    const plan = chromiumPlan({ PATH: without }, nothingExists, rights);
    assert.equal(plan.kind, 'missing');
    assert.match(plan.kind === 'missing' ? plan.message : '', /apt-get install chromium.*BLGV_CHROMIUM/);
  }
});

test('a BLGV_CHROMIUM that does not exist is reported, never installed over', () => {
  const env = { PATH: '', BLGV_CHROMIUM: '/opt/chrome/chrome' };
  const rights = { apt: true, root: true, sudo: true };
  assert.deepEqual(chromiumPlan(env, nothingExists, rights), {
    kind: 'missing',
    message: 'BLGV_CHROMIUM=/opt/chrome/chrome does not exist',
  });
  assert.deepEqual(
    chromiumPlan(env, (p) => p === '/opt/chrome/chrome', rights),
    { kind: 'present', path: '/opt/chrome/chrome' },
  );
});
