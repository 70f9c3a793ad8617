/**
 * The .NET members real documents need, end to end through a real worker and a real backend:
 * AES Encrypt/Decrypt of a form field and of a JSON body (corpus 012/013 shapes), the
 * backend's Cache-Control max-age read with a named Regex group in outbound (corpus 048), and
 * the CIDR check of corpus 016 (local functions, shifts, byte[]) on a client address header (Outpost sets X-Forwarded-For itself), its
 * verdict in a header the backend sees. A bad ciphertext fails to on-error with .NET's exception.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { request } from 'undici';
import { startGateway, type GatewayProcess } from '../support/gateway-process.js';
import { startBackend, type TestBackend } from '../support/backends.js';

const KEY = Buffer.alloc(24, 0x2a).toString('base64');
const IV = Buffer.alloc(16, 0x07).toString('base64');

const ENCRYPT = `<policies><inbound>
  <set-variable name="IV" value="${IV}" />
  <set-variable name="key" value="${KEY}" />
  <set-variable name="encrypted" value="@{
    string text = context.Request.Body.AsFormUrlEncodedContent(preserveContent: true)[&quot;text&quot;].Single();
    byte[] IV = Convert.FromBase64String((string)context.Variables[&quot;IV&quot;]);
    byte[] key = Convert.FromBase64String((string)context.Variables[&quot;key&quot;]);
    return Convert.ToBase64String(Encoding.UTF8.GetBytes(text).Encrypt(&quot;Aes&quot;, key, IV));
  }" />
  <return-response>
    <set-status code="200" reason="OK" />
    <set-body>@((string)context.Variables["encrypted"])</set-body>
  </return-response>
</inbound></policies>`;

const DECRYPT = `<policies><inbound>
  <set-variable name="IV" value="${IV}" />
  <set-variable name="key" value="${KEY}" />
  <set-variable name="plainText" value="@{
    byte[] inBytes = Convert.FromBase64String(context.Request.Body.As&lt;JObject&gt;().SelectToken(&quot;encrpText&quot;).ToString());
    byte[] IV = Convert.FromBase64String((string)context.Variables[&quot;IV&quot;]);
    byte[] key = Convert.FromBase64String((string)context.Variables[&quot;key&quot;]);
    byte[] decryptedBytes = inBytes.Decrypt(&quot;Aes&quot;, key, IV);
    return Encoding.UTF8.GetString(decryptedBytes);
  }" />
  <return-response>
    <set-status code="200" reason="Success" />
    <set-body>@{\u00a0
      string inBody = (string)context.Variables["plainText"];\u00a0
      return inBody;\u00a0
    }</set-body>
  </return-response>
</inbound>
<on-error>
  <return-response>
    <set-status code="422" reason="Bad cipher" />
    <set-body>@(context.LastError.Message)</set-body>
  </return-response>
</on-error></policies>`;

const MAX_AGE = `<policies><outbound>
  <set-header name="x-max-age" exists-action="override">
    <value>@{
      var header = context.Response.Headers.GetValueOrDefault("Cache-Control","");
      var maxAge = Regex.Match(header, @"max-age=(?&lt;maxAge&gt;\\d+)").Groups["maxAge"]?.Value;
      return ((!string.IsNullOrEmpty(maxAge)) ? int.Parse(maxAge) : 300).ToString();
    }</value>
  </set-header>
</outbound></policies>`;

const CIDR = `<policies><inbound>
  <set-header name="x-ip-check" exists-action="override">
    <value>@{
      int HostToNetworkOrder(int host)
      {
          return (((int)HostToNetworkOrderShort((short)host) &amp; 0xFFFF) &lt;&lt; 16)
              | ((int)HostToNetworkOrderShort((short)(host &gt;&gt; 16)) &amp; 0xFFFF);
      }
      short HostToNetworkOrderShort(short host)
      {
          return (short)((((int)host &amp; 0xFF) &lt;&lt; 8) | (int)((host &gt;&gt; 8) &amp; 0xFF));
      }
      string ipAddress = context.Request.Headers.GetValueOrDefault("x-client-ip","");
      string[] cidrParts = "10.0.0.0/8".Split('/');
      string[] inputIPParts = ipAddress.Split('.');
      string[] cidrIPArray = cidrParts[0].Split('.');
      if (inputIPParts.Length == 4)
      {
          byte[] inputIPBytes = new byte[] { Convert.ToByte(int.Parse(inputIPParts[0])), Convert.ToByte(int.Parse(inputIPParts[1])),
              Convert.ToByte(int.Parse(inputIPParts[2])), Convert.ToByte(int.Parse(inputIPParts[3])) };
          byte[] cidrIPBytes = new byte[] { Convert.ToByte(int.Parse(cidrIPArray[0])), Convert.ToByte(int.Parse(cidrIPArray[1])),
              Convert.ToByte(int.Parse(cidrIPArray[2])), Convert.ToByte(int.Parse(cidrIPArray[3])) };
          var mask = HostToNetworkOrder(-1 &lt;&lt; (32 - int.Parse(cidrParts[1])));
          if ((BitConverter.ToInt32(inputIPBytes, 0) &amp; mask) == (BitConverter.ToInt32(cidrIPBytes, 0) &amp; mask)) { return "validated"; }
      }
      return ipAddress;
    }</value>
  </set-header>
</inbound></policies>`;

describe('.NET members of real documents through real workers', () => {
  let backend: TestBackend;
  let gw: GatewayProcess;

  before(async () => {
    backend = await startBackend((req, res) => {
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({ check: req.headers['x-ip-check'] ?? null });
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': req.url?.includes('nocache') ? 'no-store' : 'public, max-age=120', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    gw = await startGateway({
      apis: [{
        id: 'dotnet', name: 'DotNet', path: 'dotnet', serviceUrl: backend.url, subscriptionRequired: false,
        operations: [
          { id: 'encrypt', method: 'POST', urlTemplate: '/encrypt', policies: ENCRYPT },
          { id: 'decrypt', method: 'POST', urlTemplate: '/decrypt', policies: DECRYPT },
          { id: 'max-age', method: 'GET', urlTemplate: '/max-age', policies: MAX_AGE },
          { id: 'cidr', method: 'GET', urlTemplate: '/cidr', policies: CIDR },
        ],
      }],
    }, { workers: 1 });
  });
  after(async () => { await gw?.stop(); await backend?.close(); });

  const send = async (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await request(gw.url(path), { method, headers, body });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  test('a form field is AES-encrypted as .NET (CBC, PKCS7) does, and the JSON body\'s cipher text decrypts back', async () => {
    const enc = await send('POST', '/dotnet/encrypt', { 'content-type': 'application/x-www-form-urlencoded' }, 'text=h%C3%A9llo+outpost&other=1');
    assert.equal(enc.status, 200);
    const c = createCipheriv('aes-192-cbc', Buffer.from(KEY, 'base64'), Buffer.from(IV, 'base64'));
    assert.equal(enc.text, Buffer.concat([c.update('héllo outpost'), c.final()]).toString('base64'));
    const dec = await send('POST', '/dotnet/decrypt', { 'content-type': 'application/json' }, JSON.stringify({ encrpText: enc.text }));
    assert.equal(dec.status, 200);
    assert.equal(dec.text, 'héllo outpost');
  });

  test('a cipher text that does not decrypt fails to on-error with CryptographicException\'s message', async () => {
    const dec = await send('POST', '/dotnet/decrypt', { 'content-type': 'application/json' }, JSON.stringify({ encrpText: Buffer.alloc(16, 1).toString('base64') }));
    assert.equal(dec.status, 422);
    assert.match(dec.text, /Padding is invalid and cannot be removed/);
  });

  test('outbound reads max-age from the backend\'s Cache-Control through a named group; 300 without one', async () => {
    const withAge = await send('GET', '/dotnet/max-age');
    assert.equal(withAge.status, 200);
    assert.equal(withAge.headers['x-max-age'], '120');
    const without = await send('GET', '/dotnet/max-age?nocache=1');
    assert.equal(without.headers['x-max-age'], '300');
  });

  test('the CIDR check of a client address header: "validated" inside 10.0.0.0/8, the address outside (seen by the backend)', async () => {
    const inside = await send('GET', '/dotnet/cidr', { 'x-client-ip': '10.33.215.173' });
    assert.equal(inside.status, 200);
    assert.equal((JSON.parse(inside.text) as { check: string }).check, 'validated');
    const outside = await send('GET', '/dotnet/cidr', { 'x-client-ip': '11.1.1.1' });
    assert.equal((JSON.parse(outside.text) as { check: string }).check, '11.1.1.1');
  });
});
