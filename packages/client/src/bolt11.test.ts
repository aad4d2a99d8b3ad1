import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bech32, hex } from '@scure/base';
import fc from 'fast-check';
import { decodeBolt11 } from './bolt11.ts';
import { encodeBolt11, type FieldSpec, numberWords, testKey } from './bolt11-encoder.test-support.ts';
import { BOLT11_INVALID, BOLT11_VALID } from './bolt11-vectors.test-support.ts';
import { Bolt11DecodeError } from './errors.ts';

const SPEC_KEY = hex.decode('e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734');
const SPEC_PAYEE = '03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad';
const SPEC_HASH = '0001020304050607080900010203040506070809000102030405060708090102';
const SPEC_SECRET = '11'.repeat(32);
const LIST_HASH = '3925b6f67e2c340036ed12093dd44e0368df1b6ea26c53dbe4811f58fd5db8c1';

test("the spec's examples decode to the network, amount and fields it lists", () => {
  const donation = decodeBolt11(BOLT11_VALID.donation);
  assert.equal(donation.network, 'bitcoin');
  assert.equal(donation.amountMsat, undefined);
  assert.equal(donation.timestamp, 1_496_314_658);
  assert.equal(donation.paymentHash, SPEC_HASH);
  assert.equal(donation.paymentSecret, SPEC_SECRET);
  assert.equal(donation.description, 'Please consider supporting this project');
  assert.equal(donation.payee, SPEC_PAYEE);
  assert.deepEqual([donation.expirySeconds, donation.expiresAt], [3600, 1_496_314_658 + 3600]);
  assert.equal(donation.minFinalCltvExpiryDelta, 18);
  assert.deepEqual(donation.features, [8, 14]);

  const coffee = decodeBolt11(BOLT11_VALID.coffee);
  assert.deepEqual(
    [coffee.amountMsat, coffee.description, coffee.expirySeconds],
    [250_000_000n, '1 cup coffee', 60],
  );
  assert.equal(decodeBolt11(BOLT11_VALID.nonsense).description, 'ナンセンス 1杯');

  const list = decodeBolt11(BOLT11_VALID.hashedList);
  assert.deepEqual(
    [list.amountMsat, list.description, list.descriptionHash],
    [2_000_000_000n, undefined, LIST_HASH],
  );
  assert.equal(decodeBolt11(BOLT11_VALID.testnetFallback).network, 'testnet');

  const pico = decodeBolt11(BOLT11_VALID.pico);
  assert.equal(pico.amountMsat, 967_878_534n);
  assert.equal(pico.timestamp, 1_572_468_703);
  assert.equal(pico.paymentHash, '462264ede7e14047e9b249da94fefc47f41f7d02ee9b091815a5506bc8abf75f');
  assert.deepEqual([pico.expirySeconds, pico.minFinalCltvExpiryDelta], [604_800, 10]);
  assert.equal(pico.routeHints[0]?.[0]?.shortChannelId, '589390x3312x1');

  // Unknown odd feature 99 is ignored; upper case is the same invoice; fields of a wrong
  // length and unknown ones are skipped.
  const beans = decodeBolt11(BOLT11_VALID.features99);
  assert.deepEqual(beans.features, [8, 14, 99]);
  assert.deepEqual(decodeBolt11(BOLT11_VALID.upperCase), beans);
  const ignored = decodeBolt11(BOLT11_VALID.ignoredFields);
  assert.deepEqual(
    [ignored.paymentHash, ignored.paymentSecret, ignored.description, ignored.descriptionHash, ignored.payee],
    [SPEC_HASH, SPEC_SECRET, 'coffee beans', undefined, SPEC_PAYEE],
  );
  const metadata = decodeBolt11(BOLT11_VALID.metadata);
  assert.deepEqual([metadata.metadata, metadata.features], ['01fafaf0', [8, 14, 48]]);

  for (const [name, invoice] of Object.entries(BOLT11_VALID)) {
    const decoded = decodeBolt11(invoice);
    assert.equal(decoded.paymentSecret, SPEC_SECRET, name);
    if (name !== 'highS') assert.equal(decoded.payee, SPEC_PAYEE, name);
  }
});

test('route hints read every hop of every r field', () => {
  const [route, ...others] = decodeBolt11(BOLT11_VALID.routeHints).routeHints;
  assert.equal(others.length, 0);
  assert.deepEqual(route, [
    {
      nodeId: '029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255',
      chanId: (66051n << 40n) | (263430n << 16n) | 1800n,
      shortChannelId: '66051x263430x1800',
      feeBaseMsat: 1,
      feeProportionalMillionths: 20,
      cltvExpiryDelta: 3,
    },
    {
      nodeId: '039e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255',
      chanId: (197637n << 40n) | (395016n << 16n) | 2314n,
      shortChannelId: '197637x395016x2314',
      feeBaseMsat: 2,
      feeProportionalMillionths: 30,
      cltvExpiryDelta: 4,
    },
  ]);
});

test('a high-S signature without n still recovers a key, one the signature verifies against', () => {
  const invoice = decodeBolt11(BOLT11_VALID.highS);
  // Negating s changes the key the same recovery id gives: not the spec's payee.
  assert.notEqual(invoice.payee, SPEC_PAYEE);
  const lowS = decodeBolt11(BOLT11_VALID.donation);
  assert.deepEqual({ ...invoice, payee: '', paymentRequest: '' }, { ...lowS, payee: '', paymentRequest: '' });
  const sig = hex.decode(
    '8d3ce9e28357337f62da0162d9454df827f83cfe499aeb1c1db349d4d8112742a1bcb35d66d6bf93dc445e51753935cc32a3a411efd8a7c7bd85b25815a01b50',
  );
  const digest = hex.decode('6daf4d488be41ce7cbb487cab1ef2975e5efcea879b20d421f0ef86b07cbb987');
  assert.ok(secp256k1.verify(sig, digest, hex.decode(invoice.payee), { prehash: false, lowS: false }));
});

test("the spec's invalid examples fail with the code for what is wrong", () => {
  for (const [name, [invoice, code]] of Object.entries(BOLT11_INVALID))
    assert.throws(
      () => decodeBolt11(invoice),
      (e: unknown) => e instanceof Bolt11DecodeError && e.code === code && e.message.length > 0,
      name,
    );
});

test("the test encoder writes the spec's examples byte for byte", () => {
  const common = { network: 'bitcoin', timestamp: 1_496_314_658, privateKey: SPEC_KEY } as const;
  const secret: FieldSpec = ['s', SPEC_SECRET];
  const hash: FieldSpec = ['p', SPEC_HASH];
  assert.equal(
    encodeBolt11({
      ...common,
      amountMsat: 250_000_000n,
      fields: [secret, hash, ['d', '1 cup coffee'], ['x', 60], ['9', [8, 14]]],
    }),
    BOLT11_VALID.coffee,
  );
  assert.equal(
    encodeBolt11({
      ...common,
      amountMsat: 2_000_000_000n,
      fields: [secret, hash, ['h', LIST_HASH], ['9', [8, 14]]],
    }),
    BOLT11_VALID.hashedList,
  );
});

const wallet = testKey(1);
const base = (fields: FieldSpec[], amountMsat: bigint | undefined = 50_000_000n) =>
  encodeBolt11({ amountMsat, timestamp: 1_700_000_000, privateKey: wallet.privateKey, fields });
const usual: FieldSpec[] = [
  ['p', 'ab'.repeat(32)],
  ['s', 'cd'.repeat(32)],
  ['d', 'test'],
];
const code = (invoice: string): string | undefined => {
  try {
    decodeBolt11(invoice);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof Bolt11DecodeError);
    return e.code;
  }
};

test('regtest invoices from our encoder: amounts, expiry, CLTV, n, and the lightning: prefix', () => {
  const invoice = base([...usual, ['x', 86_400], ['c', 144], ['n', wallet.pubkey]]);
  assert.ok(invoice.startsWith('lnbcrt500u1'));
  const decoded = decodeBolt11(`lightning:${invoice.toUpperCase()}`);
  assert.deepEqual(
    [decoded.network, decoded.amountMsat, decoded.expiresAt, decoded.minFinalCltvExpiryDelta, decoded.payee],
    ['regtest', 50_000_000n, 1_700_086_400, 144, wallet.pubkey],
  );
  assert.equal(decoded.paymentRequest, invoice);
  for (const [msat, prefix] of [
    [1n, 'lnbcrt10p1'],
    [1_234n, 'lnbcrt12340p1'],
    [100_000n, 'lnbcrt1u1'],
    [100_000_000_000n, 'lnbcrt11'],
  ] as const) {
    const text = base(usual, msat);
    assert.ok(text.startsWith(prefix), text);
    assert.equal(decodeBolt11(text).amountMsat, msat);
  }
  for (const network of ['testnet', 'signet', 'simnet'] as const)
    assert.equal(
      decodeBolt11(encodeBolt11({ network, timestamp: 1, privateKey: wallet.privateKey, fields: usual }))
        .network,
      network,
    );
});

test('malformed fields are refused with a clear code', () => {
  const hash = usual[0] as FieldSpec;
  const secret = usual[1] as FieldSpec;
  assert.equal(code(base([secret, ['d', 'x']])), 'missing_field'); // no p
  assert.equal(code(base([hash, secret])), 'missing_field'); // neither d nor h
  assert.equal(code(base([...usual, ['h', 'ee'.repeat(32)]])), 'missing_field'); // both
  assert.equal(code(base([...usual, ['raw', 6, [0, 1]]])), 'bad_field'); // x with a leading zero
  assert.equal(code(base([...usual, ['raw', 24, []]])), 'bad_field'); // empty c
  assert.equal(code(base([...usual, ['raw', 5, [0, 1]]])), 'bad_field'); // 9 with a leading zero
  assert.equal(code(base([...usual, ['raw', 6, numberWords(2n ** 40n + 1n)]])), 'bad_field'); // absurd expiry
  assert.equal(code(base([...usual, ['raw', 3, numberWords(1n, 40)]])), 'bad_field'); // r of no whole hop
  assert.equal(code(base([hash, secret, ['raw', 13, [31, 31, 31, 31]]])), 'bad_field'); // d not UTF-8
  assert.equal(code(base([...usual, ['9', [8, 14, 16, 100]]])), 'unknown_required_feature');
  assert.equal(code(base([...usual, ['9', [9, 15, 17, 101]]])), undefined); // odd bits are fine
  assert.equal(code(base([...usual, ['n', testKey(2).pubkey]])), 'bad_signature'); // n is someone else
  // A field whose length runs past the signature; a data part too short for one.
  const signature = new Array<number>(104).fill(1);
  const runaway = [...numberWords(1_700_000_000, 7), 1, 31, 31, ...signature];
  assert.equal(code(bech32.encode('lnbcrt', runaway, false)), 'bad_field');
  assert.equal(code(bech32.encode('lnbcrt', signature, false)), 'too_short');
});

test('the human-readable part is read strictly', () => {
  const signed = (hrp: string) =>
    encodeBolt11({ hrp, timestamp: 1_700_000_000, privateKey: wallet.privateKey, fields: usual });
  assert.equal(code(signed('lnbcrt0500u')), 'bad_amount'); // leading zero
  assert.equal(code(signed('lnbcrt500x')), 'bad_amount'); // unknown multiplier
  assert.equal(code(signed('lnbcrt5p')), 'bad_amount'); // half a millisatoshi
  assert.equal(code(signed('lnxx500u')), 'unknown_network');
  assert.equal(code(signed('lnbcrtm')), 'unknown_network');
  assert.equal(code(signed('bc500u')), 'unknown_network');
  assert.equal(code(signed('lnconstructor')), 'unknown_network');
  assert.equal(code(signed('lntoString500u')), 'unknown_network');
  assert.equal(code(base(usual).replace('lnbcrt', 'lntb')), 'not_bech32'); // the checksum covers the prefix
  assert.equal(code('lnbcrt1'), 'not_bech32');
  assert.equal(code(''), 'not_bech32');
});

test('any invoice the encoder writes decodes to what it was given', () => {
  const hop = fc.record({
    nodeId: fc.constantFrom(wallet.pubkey, testKey(4).pubkey),
    chanId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    feeBaseMsat: fc.nat({ max: 2 ** 32 - 1 }),
    feeProportionalMillionths: fc.nat({ max: 2 ** 32 - 1 }),
    cltvExpiryDelta: fc.nat({ max: 65_535 }),
  });
  fc.assert(
    fc.property(
      fc.option(fc.bigInt({ min: 1n, max: 2_100_000_000_000_000_000n }), { nil: undefined }),
      fc.nat({ max: 2 ** 35 - 1 }),
      fc.integer({ min: 1, max: 2 ** 40 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.string({ unit: 'binary', maxLength: 150 }),
      fc.array(fc.array(hop, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
      (amountMsat, timestamp, expiry, cltv, description, routes) => {
        const fields: FieldSpec[] = [...usual.slice(0, 2), ['d', description], ['x', expiry], ['c', cltv]];
        for (const route of routes) fields.push(['r', route.map((h) => ({ ...h, shortChannelId: '' }))]);
        const decoded = decodeBolt11(
          encodeBolt11({ amountMsat, timestamp, privateKey: wallet.privateKey, fields }),
        );
        assert.deepEqual(
          [decoded.amountMsat, decoded.timestamp, decoded.expiresAt, decoded.minFinalCltvExpiryDelta],
          [amountMsat, timestamp, timestamp + expiry, cltv],
        );
        assert.equal(decoded.description, description);
        assert.equal(decoded.payee, wallet.pubkey);
        assert.deepEqual(
          decoded.routeHints.map((r) => r.map((h) => ({ ...h, shortChannelId: '' }))),
          routes.map((r) => r.map((h) => ({ ...h, shortChannelId: '' }))),
        );
      },
    ),
    { numRuns: 150 },
  );
});

test('a changed character or arbitrary text is refused with a Bolt11DecodeError, never anything else', () => {
  const invoice = base([...usual, ['x', 600], ['c', 40]]);
  const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
  fc.assert(
    fc.property(fc.nat({ max: invoice.length - 1 }), fc.constantFrom(...alphabet), (at, char) => {
      fc.pre(invoice[at] !== char);
      const changed = `${invoice.slice(0, at)}${char}${invoice.slice(at + 1)}`;
      assert.ok(code(changed) !== undefined, changed);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (text) => {
      code(text);
    }),
  );
});
