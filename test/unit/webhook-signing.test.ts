import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeaders } from '../../src/modules/webhooks/signing.js';

const BODY = JSON.stringify({ id: 'evt_1', type: 'webhook.test', created_at: '2026-01-01T00:00:00.000Z', data: {} });

// Webhook.verify rejects timestamps more than 5 minutes from the real clock, so verified
// signatures are made "now"; the fixed-date tests below only compare signatures.
function signedNow(secrets: [string] | [string, string], body = BODY) {
  return signatureHeaders({ secrets, eventId: 'evt_1', timestamp: new Date(), body });
}

describe('newWebhookSecret', () => {
  it('is whsec_ followed by 32 random bytes in base64', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
  });

  it('is different every time', () => {
    expect(new Set(Array.from({ length: 20 }, newWebhookSecret)).size).toBe(20);
  });
});

describe('signatureHeaders', () => {
  const current = newWebhookSecret();
  const previous = newWebhookSecret();

  it('matches the Standard Webhooks reference vector', () => {
    const headers = signatureHeaders({
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      eventId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: new Date(1_614_265_330_000),
      body: '{"test": 2432232314}',
    });
    expect(headers).toEqual({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it.each([
    { name: 'the only secret', secrets: [current] as [string], verifyWith: current },
    { name: 'the new secret during a rotation', secrets: [current, previous] as [string, string], verifyWith: current },
    { name: 'the previous secret during a rotation', secrets: [current, previous] as [string, string], verifyWith: previous },
  ])('verifies with $name', ({ secrets, verifyWith }) => {
    const headers = signedNow(secrets);
    expect(new Webhook(verifyWith).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it.each([
    { name: 'a tampered body', body: BODY.replace('webhook.test', 'session.created'), secret: current },
    { name: 'a body with one extra space', body: `${BODY} `, secret: current },
    { name: 'a secret that did not sign', body: BODY, secret: newWebhookSecret() },
  ])('fails to verify with $name', ({ body, secret }) => {
    const headers = signedNow([current, previous]);
    expect(() => new Webhook(secret).verify(body, headers)).toThrow('No matching signature found');
  });

  it('fails to verify when the event id is changed', () => {
    const headers = { ...signedNow([current]), 'webhook-id': 'evt_2' };
    expect(() => new Webhook(current).verify(BODY, headers)).toThrow('No matching signature found');
  });

  it('is deterministic for the same secret, event, timestamp and body', () => {
    const input = { secrets: [current] as [string], eventId: 'evt_1', timestamp: new Date('2026-01-01T00:00:00Z'), body: BODY };
    expect(signatureHeaders(input)).toEqual(signatureHeaders({ ...input }));
  });

  it('puts the timestamp in whole seconds and signs the same content', () => {
    const at = (iso: string) => signatureHeaders({ secrets: [current], eventId: 'evt_1', timestamp: new Date(iso), body: BODY });
    const truncated = at('2026-01-01T00:00:00.999Z');
    expect(truncated['webhook-timestamp']).toBe('1767225600');
    expect(truncated).toEqual(at('2026-01-01T00:00:00.000Z'));
  });

  it('sends one v1 signature for one secret', () => {
    expect(signedNow([current])['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('sends two space-separated v1 signatures during a rotation, the new secret first', () => {
    const rotating = signedNow([current, previous])['webhook-signature'].split(' ');
    expect(rotating).toHaveLength(2);
    expect(rotating.every((entry) => /^v1,[A-Za-z0-9+/]{43}=$/.test(entry))).toBe(true);
    expect(rotating[0]).not.toBe(rotating[1]);
    const timestamp = new Date(1_767_225_600_000);
    const sign = (secrets: [string] | [string, string]) =>
      signatureHeaders({ secrets, eventId: 'evt_1', timestamp, body: BODY })['webhook-signature'];
    expect(sign([current, previous])).toBe(`${sign([current])} ${sign([previous])}`);
  });
});
