/**
 * ip-filter: compile errors name the attribute; addresses, CIDR ranges and address-range for
 * IPv4 and IPv6; IPv4-mapped clients; trusted proxy hops over X-Forwarded-For, forged entries.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { parse as parseYaml } from 'yaml';
import { ipFilter } from '../../src/gateway/policies/ip-filter.js';
import { parseAddressOrCidr, parseClientAddress, parseIp } from '../../src/gateway/policies/ip-address.js';
import { parsePolicyDocument, policyLocation } from '../../src/gateway/pipeline/policy-document.js';
import { PolicyCompileError } from '../../src/gateway/pipeline/policy-element.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';
import { CONTINUE, RESPOND } from '../../src/gateway/pipeline/phases.js';
import type { WorkerServices } from '../../src/gateway/pipeline/worker-services.js';

const services: WorkerServices = { counters: { hit: () => 1, peek: () => 0, hitPaired: () => 1, peekPaired: () => 0 }, now: () => Date.now() };

function compile(policy: string | object) {
  const doc = parsePolicyDocument(typeof policy === 'string' ? `<policies><inbound>${policy}</inbound></policies>` : { inbound: [policy] }, 'api "t"');
  const el = doc.inbound![0];
  return ipFilter.compile(el, policyLocation('api "t"', 'inbound', 0, el.name));
}

/** Compiles, sends the config through msgpack as the table does, and instantiates. */
function instance(policy: string | object) {
  return ipFilter.create(unpack(pack(compile(policy))) as ReturnType<typeof compile>, services);
}

function ctx(clientIp: string, xff?: string): RequestContext {
  const headers = ['host', 'b', 'x-forwarded-for', xff === undefined ? clientIp : `${xff}, ${clientIp}`];
  return new RequestContext('GET', '/x', '', headers, clientIp, 'a', 'o', {});
}

function compileError(policy: string): PolicyCompileError {
  try { compile(policy); } catch (err) { assert.ok(err instanceof PolicyCompileError, String(err)); return err; }
  assert.fail('expected a compile error');
}

describe('ip-filter: addresses', () => {
  test('parses IPv4, IPv6, mapped and compressed forms', () => {
    assert.equal(parseIp('10.1.2.3'), 0x0a010203);
    assert.equal(parseIp('::ffff:10.1.2.3'), 0x0a010203);
    assert.equal(parseIp('0:0:0:0:0:ffff:a01:203'), 0x0a010203);
    assert.equal(parseIp('::1'), 1n);
    assert.equal(parseIp('2001:db8::1'), (0x20010db8n << 96n) | 1n);
    for (const bad of ['10.1.2', '10.1.2.256', '010.1.2.3', '1::2::3', '2001:db8:::1', 'abc', '1:2:3:4:5:6:7:8:9', '']) assert.equal(parseIp(bad), null, bad);
    assert.equal(parseClientAddress(' 10.1.2.3:4567 '), 0x0a010203);
    assert.equal(parseClientAddress('[2001:db8::1]:443'), (0x20010db8n << 96n) | 1n);
    assert.equal(parseClientAddress('fe80::1%eth0'), (0xfe80n << 112n) | 1n);
  });

  test('CIDR ranges cover exactly their block', () => {
    assert.deepEqual(parseAddressOrCidr('10.0.0.0/8'), { from: 0x0a000000, to: 0x0affffff });
    assert.deepEqual(parseAddressOrCidr('::ffff:10.0.0.0/104'), { from: 0x0a000000, to: 0x0affffff });
    assert.deepEqual(parseAddressOrCidr('0.0.0.0/0'), { from: 0, to: 0xffffffff });
    const r = parseAddressOrCidr('2001:db8::/32');
    assert.deepEqual(r, { from: 0x20010db8n << 96n, to: (0x20010db9n << 96n) - 1n });
    assert.equal(typeof parseAddressOrCidr('10.0.0.0/33'), 'string');
    assert.equal(typeof parseAddressOrCidr('2001:db8::/129'), 'string');
  });
});

describe('ip-filter: compile errors name the attribute', () => {
  test('action is required and must be allow or forbid', () => {
    assert.equal(compileError('<ip-filter><address>1.2.3.4</address></ip-filter>').attribute, 'action');
    assert.equal(compileError('<ip-filter action="deny"><address>1.2.3.4</address></ip-filter>').attribute, 'action');
  });
  test('trusted-proxy-hops must be a small whole number', () => {
    assert.equal(compileError('<ip-filter action="allow" trusted-proxy-hops="x"><address>1.2.3.4</address></ip-filter>').attribute, 'trusted-proxy-hops');
    assert.equal(compileError('<ip-filter action="allow" trusted-proxy-hops="-1"><address>1.2.3.4</address></ip-filter>').attribute, 'trusted-proxy-hops');
  });
  test('address-range: bad from, bad to, mixed families, reversed', () => {
    assert.equal(compileError('<ip-filter action="allow"><address-range from="1.2.3" to="1.2.3.4" /></ip-filter>').attribute, 'from');
    assert.equal(compileError('<ip-filter action="allow"><address-range from="1.2.3.4" to="nope" /></ip-filter>').attribute, 'to');
    assert.equal(compileError('<ip-filter action="allow"><address-range from="1.2.3.4" to="::5" /></ip-filter>').attribute, 'to');
    assert.equal(compileError('<ip-filter action="allow"><address-range from="1.2.3.4" to="1.2.3.1" /></ip-filter>').attribute, 'to');
    assert.equal(compileError('<ip-filter action="allow"><address-range from="1.2.3.4" /></ip-filter>').attribute, 'to');
  });
  test('a bad <address>, an unknown attribute, an unknown child, no addresses', () => {
    assert.match(compileError('<ip-filter action="allow"><address>10.0.0.300</address></ip-filter>').message, /ip-filter\[0\]\/address\[0\].*10\.0\.0\.300/);
    assert.equal(compileError('<ip-filter action="allow" mode="x"><address>1.2.3.4</address></ip-filter>').attribute, 'mode');
    assert.match(compileError('<ip-filter action="allow"><subnet>1.2.3.4</subnet></ip-filter>').message, /<subnet>/);
    assert.match(compileError('<ip-filter action="allow" />').message, /at least one/);
  });
});

describe('ip-filter: per request', () => {
  test('allow: listed addresses, CIDR and ranges continue; others get 403 with the code', () => {
    const p = instance('<ip-filter action="allow"><address>192.168.1.7</address><address>10.0.0.0/8</address><address-range from="172.16.0.10" to="172.16.0.20" /><address>2001:db8::/32</address></ip-filter>');
    for (const ip of ['192.168.1.7', '10.255.0.1', '172.16.0.10', '172.16.0.20', '2001:db8:ffff::1', '::ffff:10.9.9.9']) assert.equal(p.run(ctx(ip)), CONTINUE, ip);
    for (const ip of ['192.168.1.8', '11.0.0.1', '172.16.0.21', '2001:db9::1', '::1']) {
      const c = ctx(ip);
      assert.equal(p.run(c), RESPOND, ip);
      assert.equal(c.response!.status, 403);
      assert.deepEqual(JSON.parse(c.response!.body as string), { statusCode: 403, message: 'Forbidden' });
      assert.equal(c.response!.headers[c.response!.headers.indexOf('x-outpost-error') + 1], 'OUTPOST_ERR_IP_FORBIDDEN');
    }
  });

  test('forbid: listed addresses are refused, others continue', () => {
    const p = instance({ 'ip-filter': { action: 'forbid', address: ['10.0.0.0/8', '::1'] } });
    assert.equal(p.run(ctx('10.1.1.1')), RESPOND);
    assert.equal(p.run(ctx('::1')), RESPOND);
    assert.equal(p.run(ctx('11.1.1.1')), CONTINUE);
  });

  test('hops 0 ignores X-Forwarded-For entirely', () => {
    const p = instance('<ip-filter action="allow"><address>10.0.0.0/8</address></ip-filter>');
    assert.equal(p.run(ctx('203.0.113.9', '10.1.1.1')), RESPOND);
  });

  test('trusted-proxy-hops picks the entry N from the right; a forged leftmost entry is never read', () => {
    const allow = instance('<ip-filter action="allow" trusted-proxy-hops="2"><address>198.51.100.0/24</address></ip-filter>');
    // client 198.51.100.5 → proxy A (10.0.0.1) → proxy B (peer 10.0.0.2) → gateway
    assert.equal(allow.run(ctx('10.0.0.2', '198.51.100.5, 10.0.0.1')), CONTINUE);
    // an outside client forges an allowed address as the leftmost entry
    assert.equal(allow.run(ctx('10.0.0.2', '198.51.100.5, 203.0.113.7, 10.0.0.1')), RESPOND);
    // fewer entries than the trusted hops: did not come through the proxies, fail closed
    assert.equal(allow.run(ctx('10.0.0.2', '198.51.100.5')), RESPOND);
    const forbid = instance({ 'ip-filter': { action: 'forbid', 'trusted-proxy-hops': 1, address: '203.0.113.0/24' } });
    assert.equal(forbid.run(ctx('10.0.0.2', '203.0.113.7')), RESPOND);
    assert.equal(forbid.run(ctx('10.0.0.2', '203.0.113.7, 198.51.100.5')), CONTINUE);
    assert.equal(forbid.run(ctx('10.0.0.2', 'garbage')), RESPOND);
    assert.equal(forbid.run(ctx('10.0.0.2', '[2001:db8::1]:443')), CONTINUE);
  });

  test('the YAML and XML forms compile to the same config', () => {
    const yaml = parseYaml('ip-filter: { action: allow, trusted-proxy-hops: 1, address: [10.0.0.0/8, "2001:db8::/32"], address-range: { from: 1.1.1.1, to: 1.1.1.9 } }') as object;
    assert.deepEqual(compile(yaml), compile('<ip-filter action="allow" trusted-proxy-hops="1"><address>10.0.0.0/8</address><address>2001:db8::/32</address><address-range from="1.1.1.1" to="1.1.1.9" /></ip-filter>'));
  });
});
