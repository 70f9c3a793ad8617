/**
 * byte[] and the .NET statics real policies use on it: creation and indexing, System.Array
 * (Copy, Exists, IndexOf...), shifts and narrowing casts (unchecked, as C# runs them),
 * BitConverter, Guid's byte layout, and APIM's byte[].Encrypt/Decrypt over AES-CBC with PKCS7
 * (NIST SP 800-38A vectors). Also the COMB GUID (corpus 001) and the CIDR check (corpus 016).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { evaluate } from '../support/cs-eval.js';
import { compileCs } from '../../src/gateway/pipeline/expression/csharp/cs-parse.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';
import { RequestContext } from '../../src/gateway/pipeline/context.js';

const block = (source: string, ctx?: RequestContext) => evaluate(source, ctx, 'block');
const bytes = (v: unknown) => [...(v as Uint8Array)];
function runtimeError(source: string, kind: 'expr' | 'block' = 'expr'): CsRuntimeError {
  try { evaluate(source, undefined, kind); } catch (err) { assert.ok(err instanceof CsRuntimeError, String(err)); return err; }
  throw new Error(`ran: ${source}`);
}

describe('byte[] creation, indexing and System.Array', () => {
  test('new byte[n] is n zero bytes; new byte[] { ... } holds the values; indexing reads and writes', () => {
    assert.deepEqual(bytes(evaluate('new byte[3]')), [0, 0, 0]);
    assert.ok(evaluate('new byte[3]') instanceof Uint8Array);
    assert.deepEqual(bytes(evaluate('new byte[] { 1, 2, 255 }')), [1, 2, 255]);
    assert.equal(block('var b = new byte[4]; b[2] = (byte)300; return b[2];'), 44);
    assert.equal(evaluate('new byte[] { 1, 2 }.Length'), 2);
    assert.equal(runtimeError('new byte[2][2]').type, 'ArgumentOutOfRangeException');
    assert.equal(runtimeError('new byte[] { 256 }').type, 'OverflowException');
  });

  test('Array.Copy: both overloads, overlapping ranges copy as through a temporary, bounds are ArgumentException', () => {
    assert.deepEqual(bytes(block('var d = new byte[5]; Array.Copy(new byte[] { 1, 2, 3 }, 0, d, 2, 3); return d;')), [0, 0, 1, 2, 3]);
    assert.deepEqual(bytes(block('var d = new byte[3]; Array.Copy(new byte[] { 7, 8, 9 }, d, 2); return d;')), [7, 8, 0]);
    assert.deepEqual(bytes(block('var d = new byte[] { 1, 2, 3, 4 }; Array.Copy(d, 0, d, 1, 3); return d;')), [1, 1, 2, 3]);
    assert.deepEqual(block('var d = new string[2]; Array.Copy(new[] { "a", "b" }, d, 2); return d;'), ['a', 'b']);
    assert.equal(runtimeError('var d = new byte[2]; Array.Copy(new byte[3], 0, d, 0, 3); return d;', 'block').type, 'ArgumentException');
    assert.equal(runtimeError('var d = new byte[2]; Array.Copy(new byte[3], -1, d, 0, 1); return d;', 'block').type, 'ArgumentOutOfRangeException');
  });

  test('Array.Exists, IndexOf, Find, FindIndex, TrueForAll, Reverse', () => {
    assert.equal(evaluate('Array.Exists(new[] { "read", "sendEmail" }, element => element == "sendEmail")'), true);
    assert.equal(evaluate('Array.Exists(new string[0], e => true)'), false);
    assert.equal(evaluate('Array.IndexOf(new[] { "a", "b", "c" }, "c")'), 2);
    assert.equal(evaluate('Array.IndexOf(new[] { "a" }, "z")'), -1);
    assert.equal(evaluate('Array.IndexOf(new byte[] { 5, 6 }, 6)'), 1);
    assert.equal(evaluate('Array.Find(new[] { 1, 5, 9 }, x => x > 3)'), 5);
    assert.equal(evaluate('Array.Find(new[] { "a" }, x => x == "b")'), null);
    assert.equal(evaluate('Array.FindIndex(new[] { 1, 5, 9 }, x => x > 5)'), 2);
    assert.equal(evaluate('Array.TrueForAll(new[] { 2, 4 }, x => x % 2 == 0)'), true);
    assert.deepEqual(block('var a = new[] { 1, 2, 3 }; Array.Reverse(a); return a;'), [3, 2, 1]);
    assert.equal(runtimeError('Array.Exists(null, e => true)').type, 'ArgumentNullException');
  });

  test('the scopes of Jwt claims: Array.Exists over a string[] claim (corpus 034)', () => {
    assert.equal(block('var permissions = new[] { "a", "sendEmail" }; return Array.Exists(permissions, element => element == "sendEmail");'), true);
  });
});

describe('shifts and narrowing casts', () => {
  const cases: Array<[string, unknown]> = [
    ['1 << 4', 16], ['-1 << 24', -16777216], ['1 << 33', 8589934592], ['0x7FFFFFFF << 1', -2], ['-16 >> 2', -4], ['256 >> 8', 1],
    ['(byte)300', 44], ['(byte)(-1)', 255], ['(short)0x18000', -32768], ['(short)65535', -1], ['(sbyte)200', -56], ['(ushort)(-1)', 65535],
    ['(uint)(-1)', 4294967295], ['1 + 2 << 1', 6], ['1 << 2 < 5', true], ['unchecked((byte)511)', 255],
  ];
  for (const [source, expected] of cases) test(source, () => assert.equal(evaluate(source), expected));

  test('a long shifts as a long: (byte)(ticks >> 40) takes bits 40..47', () => {
    assert.equal(block('long time = 638000000000000000; unchecked { return (byte)(time >> 40); }'), Number((638000000000000000n >> 40n) & 0xffn));
  });

  test('List<List<int>> still parses as a type', () => {
    assert.deepEqual(block('var l = new List<List<int>>(); l.Add(new List<int> { 1 }); return l.Count;'), 1);
  });
});

describe('BitConverter, Convert.ToByte and Guid bytes', () => {
  test('BitConverter.ToInt32 / ToInt16 / GetBytes are little-endian', () => {
    assert.equal(evaluate('BitConverter.ToInt32(new byte[] { 10, 0, 0, 1 }, 0)'), 0x0100000a);
    assert.equal(evaluate('BitConverter.ToInt32(new byte[] { 255, 255, 255, 255 }, 0)'), -1);
    assert.equal(evaluate('BitConverter.ToUInt32(new byte[] { 255, 255, 255, 255 }, 0)'), 4294967295);
    assert.equal(evaluate('BitConverter.ToInt16(new byte[] { 0, 1, 0x80 }, 1)'), -32767);
    assert.deepEqual(bytes(evaluate('BitConverter.GetBytes(258)')), [2, 1, 0, 0]);
    assert.equal(runtimeError('BitConverter.ToInt32(new byte[] { 1, 2 }, 0)').type, 'ArgumentException');
  });

  test('Convert.ToByte checks the range; from a string it parses', () => {
    assert.equal(evaluate('Convert.ToByte(int.Parse("192"))'), 192);
    assert.equal(evaluate('Convert.ToByte("7")'), 7);
    assert.equal(evaluate('Convert.ToByte(2.5)'), 2);
    assert.equal(runtimeError('Convert.ToByte(256)').type, 'OverflowException');
  });

  test('Guid.ToByteArray has .NET\'s layout (first three groups little-endian); new Guid(bytes) inverts it', () => {
    assert.equal(evaluate('BitConverter.ToString(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff").ToByteArray())'), '33-22-11-00-55-44-77-66-88-99-AA-BB-CC-DD-EE-FF');
    assert.equal(evaluate('new Guid(Guid.Parse("{00112233-4455-6677-8899-AABBCCDDEEFF}").ToByteArray()).ToString()'), '00112233-4455-6677-8899-aabbccddeeff');
    assert.equal(evaluate('Guid.Parse("00112233445566778899AABBCCDDEEFF").ToString()'), '00112233-4455-6677-8899-aabbccddeeff');
    assert.equal(block('return Guid.TryParse("nope", out var g) ? "yes" : g.ToString();'), '00000000-0000-0000-0000-000000000000');
    assert.equal(runtimeError('Guid.Parse("nope")').type, 'FormatException');
    assert.equal(runtimeError('new Guid(new byte[3])').type, 'ArgumentException');
  });

  test('the COMB GUID of corpus 001: random first 10 bytes, time in the last 6', () => {
    const source = `var guidBinary = new byte[16];
      Array.Copy(Guid.NewGuid().ToByteArray(), 0, guidBinary, 0, 10);
      long time = DateTime.Now.Ticks;
      byte[] bytes = new byte[6];
      unchecked
      {
        bytes[5] = (byte)(time >> 40);
        bytes[4] = (byte)(time >> 32);
        bytes[3] = (byte)(time >> 24);
        bytes[2] = (byte)(time >> 16);
        bytes[1] = (byte)(time >> 8);
        bytes[0] = (byte)(time);
      }
      Array.Copy(bytes, 0, guidBinary, 10, 6);
      return new Guid(guidBinary).ToString();`;
    const a = block(source) as string;
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(block(source), a);
  });
});

describe('byte[].Encrypt / Decrypt (APIM\'s extension methods): AES-CBC with PKCS7', () => {
  const iv = '000102030405060708090a0b0c0d0e0f';
  const block1 = '6bc1bee22e409f96e93d7e117393172a';
  const hexBytes = (hex: string) => `new byte[] { ${hex.match(/../g)!.map((x) => `0x${x}`).join(', ')} }`;
  // NIST SP 800-38A F.2.1, F.2.3, F.2.5: the first cipher block; PKCS7 then adds a whole block of padding.
  const vectors: Array<[string, string]> = [
    ['2b7e151628aed2a6abf7158809cf4f3c', '7649abac8119b246cee98e9b12e9197d'],
    ['8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b', '4f021db243bc633d7178183a9fa071e8'],
    ['603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', 'f58c4c04d6e5f1ba779eabfb5f7bfbd6'],
  ];
  for (const [key, first] of vectors) {
    test(`AES-${key.length * 4}: the NIST vector, 32 bytes with padding, and back`, () => {
      const out = evaluate(`${hexBytes(block1)}.Encrypt("Aes", ${hexBytes(key)}, ${hexBytes(iv)})`) as Uint8Array;
      assert.equal(out.length, 32);
      assert.equal(Buffer.from(out.subarray(0, 16)).toString('hex'), first);
      const back = evaluate(`BitConverter.ToString(${hexBytes(block1)}.Encrypt("Aes", ${hexBytes(key)}, ${hexBytes(iv)}).Decrypt("Aes", ${hexBytes(key)}, ${hexBytes(iv)}))`);
      assert.equal(String(back).replace(/-/g, '').toLowerCase(), block1);
    });
  }

  test('the corpus 012/013 shape: base64 key and IV from variables, UTF-8 text through Encrypt and Decrypt', () => {
    const ctx = new RequestContext('GET', '/', '', [], '127.0.0.1', 'a', 'o', {});
    ctx.setVariable('key', Buffer.alloc(24, 7).toString('base64'));
    ctx.setVariable('IV', Buffer.alloc(16, 9).toString('base64'));
    const encrypted = block(`byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
      byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
      return Convert.ToBase64String(Encoding.UTF8.GetBytes("hello, outpost").Encrypt("Aes", key, IV));`, ctx);
    const c = createCipheriv('aes-192-cbc', Buffer.alloc(24, 7), Buffer.alloc(16, 9));
    assert.equal(encrypted, Buffer.concat([c.update('hello, outpost'), c.final()]).toString('base64'));
    ctx.setVariable('cipher', encrypted);
    assert.equal(block(`byte[] inBytes = Convert.FromBase64String((string)context.Variables["cipher"]);
      byte[] IV = Convert.FromBase64String((string)context.Variables["IV"]);
      byte[] key = Convert.FromBase64String((string)context.Variables["key"]);
      byte[] decryptedBytes = inBytes.Decrypt("Aes", key, IV);
      return Encoding.UTF8.GetString(decryptedBytes);`, ctx), 'hello, outpost');
  });

  test('TripleDES round-trips; wrong sizes, bad padding and unknown algorithms are CryptographicException', () => {
    assert.equal(evaluate('Encoding.UTF8.GetString(Encoding.UTF8.GetBytes("x").Encrypt("TripleDES", new byte[24], new byte[8]).Decrypt("TripleDES", new byte[24], new byte[8]))'), 'x');
    assert.equal(runtimeError('new byte[1].Encrypt("Aes", new byte[15], new byte[16])').type, 'CryptographicException');
    assert.equal(runtimeError('new byte[1].Encrypt("Aes", new byte[16], new byte[8])').type, 'CryptographicException');
    assert.equal(runtimeError('new byte[16].Decrypt("Aes", new byte[16], new byte[16])').type, 'CryptographicException');
    assert.equal(runtimeError('new byte[15].Decrypt("Aes", new byte[16], new byte[16])').type, 'CryptographicException');
    assert.equal(runtimeError('new byte[1].Encrypt("Blowfish", new byte[16], new byte[16])').type, 'CryptographicException');
    assert.equal(runtimeError('new byte[1].Encrypt("Aes", "key", new byte[16])').type, 'ArgumentException');
  });

  test('the SymmetricAlgorithm overloads: Encrypt(aes) uses its Key and IV, set by assignment or initializer', () => {
    const expected = (() => { const c = createCipheriv('aes-128-cbc', Buffer.alloc(16), Buffer.alloc(16)); return Buffer.concat([c.update('hello'), c.final()]).toString('base64'); })();
    assert.equal(block('using (var aes = Aes.Create()) { aes.Key = new byte[16]; aes.IV = new byte[16]; return Convert.ToBase64String(Encoding.UTF8.GetBytes("hello").Encrypt(aes)); }'), expected);
    assert.equal(evaluate('Convert.ToBase64String(Encoding.UTF8.GetBytes("hello").Encrypt(new AesManaged { Key = new byte[16], IV = new byte[16] }))'), expected);
    assert.equal(evaluate('Encoding.UTF8.GetString(Convert.FromBase64String("' + expected + '").Decrypt(Aes.Create(), new byte[16], new byte[16]))'), 'hello');
    assert.equal(block('var a = Aes.Create(); return a.Key.Length * 100 + a.IV.Length;'), 3216);
    assert.equal(runtimeError('var a = Aes.Create(); a.Key = new byte[5]; return 1;', 'block').type, 'CryptographicException');
    assert.throws(() => compileCs('var a = Aes.Create(); a.Mode = 1; return 1;', 'block'), /the member "Mode" is outside the supported subset/);
  });

  test('Encrypt is a byte[] member only: on a string it is .NET\'s missing-member error', () => {
    assert.equal(runtimeError('"text".Encrypt("Aes", new byte[16], new byte[16])').type, 'RuntimeBinderException');
    assert.doesNotThrow(() => compileCs('new byte[1].Decrypt("Aes", new byte[16], new byte[16])', 'expr'));
  });
});

describe('the CIDR check of corpus 016: local functions, shifts, BitConverter', () => {
  const source = (ip: string) => `
    int HostToNetworkOrder(int host)
    {
        return (((int)HostToNetworkOrderShort((short)host) & 0xFFFF) << 16)
            | ((int)HostToNetworkOrderShort((short)(host >> 16)) & 0xFFFF);
    }
    short HostToNetworkOrderShort(short host)
    {
        return (short)((((int)host & 0xFF) << 8) | (int)((host >> 8) & 0xFF));
    }
    string ipAddress = "${ip}";
    List<string> cidrList = new List<string>(){ "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16" };
    foreach (string cidrAddress in cidrList)
    {
        string[] cidrParts = cidrAddress.Split('/');
        string[] inputIPParts = ipAddress.Split('.');
        string[] cidrIPArray = cidrParts[0].Split('.');
        if (inputIPParts.Length == 4 && cidrIPArray.Length == 4)
        {
            byte[] inputIPBytes = new byte[] {Convert.ToByte(int.Parse(inputIPParts[0])), Convert.ToByte(int.Parse(inputIPParts[1])),
                Convert.ToByte(int.Parse(inputIPParts[2])), Convert.ToByte(int.Parse(inputIPParts[3])), };
            byte[] cidrIPBytes = new byte[] {Convert.ToByte(int.Parse(cidrIPArray[0])), Convert.ToByte(int.Parse(cidrIPArray[1])),
                Convert.ToByte(int.Parse(cidrIPArray[2])), Convert.ToByte(int.Parse(cidrIPArray[3])), };
            int cidrAddr = BitConverter.ToInt32(inputIPBytes,0);
            int ipAddr = BitConverter.ToInt32(cidrIPBytes,0);
            var host = int.Parse(cidrParts[1]);
            host = -1 << (32-host);
            var mask = HostToNetworkOrder(host);
            if (((ipAddr & mask) == (cidrAddr & mask))) return "validated";
        }
    }
    return ipAddress;`;
  for (const [ip, expected] of [['10.33.215.173', 'validated'], ['172.31.255.1', 'validated'], ['172.32.0.1', '172.32.0.1'], ['192.168.4.4', 'validated'], ['8.8.8.8', '8.8.8.8']]) {
    test(`${ip} → ${expected}`, () => assert.equal(block(source(ip)), expected));
  }
});
