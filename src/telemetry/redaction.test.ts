import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureSettingsSchema } from './capture-settings.ts';
import { MASK, MIN_SECRET_IN_TEXT, createRedactor } from './redaction.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJ4In0.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLWp3dA';

describe('redaction', () => {
  const redact = createRedactor({ maxBytes: 10_000 });

  it('refuses capture settings that are not a mode or a well-formed mask list', () => {
    for (const bad of [
      'everything',
      { mode: 'full', masks: ['card.number'] },
      { mode: 'full', masks: ['arguments..x'] },
      { mode: 'full', masks: ['arguments.a b'] },
      { mode: 'full', extra: true },
      { masks: [] },
    ]) {
      assert.equal(captureSettingsSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
    assert.deepEqual(captureSettingsSchema.parse('full'), { mode: 'full', masks: [] });
    assert.deepEqual(
      captureSettingsSchema.parse({ mode: 'full', masks: ['arguments.users[*].ssn'] }),
      { mode: 'full', masks: ['arguments.users[*].ssn'] },
    );
  });

  it('masks values of secret-looking keys at any depth, whatever their case or separators', () => {
    const text = redact(
      'arguments',
      {
        query: 'weather',
        password: 'hunter2',
        nested: { API_KEY: 'k-1', list: [{ clientSecret: 's' }, { 'X-Auth-Token': 't' }] },
        Authorization: 'Basic abc',
        cookie: 'sid=1',
        tokens: null,
      },
      [],
    );
    assert.deepEqual(JSON.parse(text), {
      query: 'weather',
      password: MASK,
      nested: { API_KEY: MASK, list: [{ clientSecret: MASK }, { 'X-Auth-Token': MASK }] },
      Authorization: MASK,
      cookie: MASK,
      tokens: null,
    });
  });

  it('masks credentials inside free text: bearer tokens, JWTs, known key formats', () => {
    const planted = [
      `Bearer ${'a1b2c3d4'.repeat(4)}`,
      JWT,
      'ghp_0123456789abcdefghijABCDEFGHIJ012345',
      'xoxb-1234567890-abcdefghij',
      'AKIAIOSFODNN7EXAMPLE',
      'sk-proj-abcdefghijklmnop1234',
      'pcl_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    ];
    const text = redact('arguments', { note: `use ${planted.join(' and ')} please` }, []);
    for (const secret of planted) assert.equal(text.includes(secret), false, secret);
    assert.match(text, /^\{"note":"use \[redacted\] and/);
    assert.match(text, /please"\}$/);
  });

  it('masks the shortest credential of every text pattern, inside text and alone', () => {
    const shortest = [
      'Basic abcdefgh',
      'bearer 12345678',
      'eyJabcde.eyJabcde.',
      `ghp_${'a'.repeat(20)}`,
      `github_pat_${'a'.repeat(20)}`,
      'xoxb-abcdefghij',
      'AKIA0123456789ABCDEF',
      `AIza${'a'.repeat(30)}`,
      `sk-${'a'.repeat(16)}`,
      'rk_live_abcdefghij',
      `glpat-${'a'.repeat(16)}`,
      `pcl_${'a'.repeat(20)}`,
    ];
    for (const secret of shortest) {
      assert.ok(secret.length >= MIN_SECRET_IN_TEXT, secret);
      assert.equal(redact('arguments', { v: secret }, []), `{"v":"${MASK}"}`, secret);
      assert.equal(redact('arguments', [`(${secret})`], []), `["(${MASK})"]`, secret);
    }
    assert.equal(redact('arguments', { v: 'Basic abcdefg' }, []), '{"v":"Basic abcdefg"}');
  });

  it('caps a body of multi-byte text by its bytes, not its characters', () => {
    const small = createRedactor({ maxBytes: 100 });
    const text = small('result', { text: 'é'.repeat(50) }, []);
    assert.ok(Buffer.byteLength(text) <= 100);
    assert.equal(JSON.parse(text).$truncated, true);
    assert.equal(small('result', { text: 'é'.repeat(30) }, []), `{"text":"${'é'.repeat(30)}"}`);
  });

  it('masks the userinfo and secret-looking query values of URIs inside text', () => {
    const text = redact(
      'arguments',
      {
        uri: 'https://alice:pw@host.test/cb?state=s1&code=c0de&access_token=t0k#frag',
        note: 'see http://bob:x@h.test/?page=2&signature=abc for details',
      },
      [],
    );
    assert.deepEqual(JSON.parse(text), {
      uri: `https://host.test/cb?state=s1&code=${MASK}&access_token=${MASK}#frag`,
      note: `see http://h.test/?page=2&signature=${MASK} for details`,
    });
  });

  it('masks a value that is one long opaque token, keeps ordinary words and numbers', () => {
    const value = JSON.parse(
      redact(
        'result',
        { id: 'f3a9c2e17b5d4a8e9c0b1d2e3f4a5b6c7d8e9f0a', text: 'hello world', count: 12 },
        [],
      ),
    );
    assert.deepEqual(value, { id: MASK, text: 'hello world', count: 12 });
  });

  it('masks configured field paths, with wildcards over keys and array items', () => {
    const value = JSON.parse(
      redact(
        'arguments',
        {
          card: { number: '4111 1111 1111 1111', brand: 'visa' },
          users: [{ ssn: '1' }, { ssn: '2' }],
        },
        ['arguments.card.number', 'arguments.users[*].ssn', 'result.card'],
      ),
    );
    assert.deepEqual(value, {
      card: { number: MASK, brand: 'visa' },
      users: [{ ssn: MASK }, { ssn: MASK }],
    });
  });

  it('applies one mask list the same on every call, each path to its own root only', () => {
    const masks = ['arguments.card.number', 'result.content[*].text', 'arguments.list[*]'];
    for (let call = 0; call < 3; call++) {
      assert.deepEqual(
        JSON.parse(
          redact(
            'arguments',
            { card: { number: '4111', brand: 'visa' }, list: ['a', 'b'], content: 'x' },
            masks,
          ),
        ),
        { card: { number: MASK, brand: 'visa' }, list: [MASK, MASK], content: 'x' },
      );
      assert.deepEqual(
        JSON.parse(redact('result', { content: [{ text: 'a' }], card: { number: '4111' } }, masks)),
        { content: [{ text: MASK }], card: { number: '4111' } },
      );
    }
  });

  it('scrubs secrets beside and below masked paths as it does without masks', () => {
    const value = JSON.parse(
      redact(
        'arguments',
        {
          card: { number: '4111', note: `Bearer ${'a1b2c3d4'.repeat(4)}`, apiKey: 'k' },
          other: { id: 'f3a9c2e17b5d4a8e9c0b1d2e3f4a5b6c7d8e9f0a', short: 'abc123' },
        },
        ['arguments.card.number'],
      ),
    );
    assert.deepEqual(value, {
      card: { number: MASK, note: MASK, apiKey: MASK },
      other: { id: MASK, short: 'abc123' },
    });
  });

  it('uses the configured key patterns instead of the defaults', () => {
    const custom = createRedactor({ maxBytes: 1000, secretKeys: ['ssn'] });
    assert.deepEqual(JSON.parse(custom('arguments', { password: 'p', user_ssn: '1' }, [])), {
      password: 'p',
      user_ssn: MASK,
    });
  });

  it('caps a large body as a valid JSON envelope within the size limit', () => {
    const small = createRedactor({ maxBytes: 200 });
    const text = small('result', { text: '"quoted" '.repeat(500), password: 'hunter2' }, []);
    assert.ok(Buffer.byteLength(text) <= 200);
    const envelope = JSON.parse(text);
    assert.equal(envelope.$truncated, true);
    assert.ok(envelope.$bytes > 4000);
    assert.equal(text.includes('hunter2'), false);
  });

  it('never changes the value it redacts', () => {
    const value = { password: 'p', nested: { token: 't' } };
    redact('arguments', value, ['arguments.nested']);
    assert.deepEqual(value, { password: 'p', nested: { token: 't' } });
  });
});

describe('redaction of one call', () => {
  it('masks in the result the secrets it masked in the arguments, however they come back', () => {
    const redact = createRedactor({ maxBytes: 10_000 });
    const secrets = new Set<string>();
    const args = redact(
      'arguments',
      { user: 'ann', password: 'correct-horse-42', card: { number: '4111111111111111' } },
      ['arguments.card'],
      secrets,
    );
    assert.equal(args, '{"user":"ann","password":"[redacted]","card":"[redacted]"}');
    const result = redact(
      'result',
      {
        content: [
          { type: 'text', text: 'logged in ann with correct-horse-42 card 4111111111111111' },
        ],
      },
      [],
      secrets,
    );
    assert.equal(
      result,
      '{"content":[{"type":"text","text":"logged in ann with [redacted] card [redacted]"}]}',
    );
  });
});
