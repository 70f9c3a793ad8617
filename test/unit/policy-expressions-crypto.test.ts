/**
 * The hash types APIM's expressions allow, as real policies use them: SHA*.Create().ComputeHash
 * (the OAuth proxy's PKCE challenge), new HMACSHA256(key).ComputeHash (Azure Storage and Service
 * Bus signatures, self-signed JWTs), fully qualified names, using statements; digests checked
 * against Node's crypto.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { evaluate } from '../support/cs-eval.js';
import { CsRuntimeError } from '../../src/gateway/pipeline/expression/csharp/cs-error.js';

const b64 = (b: Buffer) => b.toString('base64');

test('SHA256.Create().ComputeHash and the other hashes give the standard digests', () => {
  assert.equal(evaluate('Convert.ToBase64String(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes("abc")))'), b64(createHash('sha256').update('abc').digest()));
  for (const [type, alg] of [['SHA1', 'sha1'], ['SHA384', 'sha384'], ['SHA512', 'sha512'], ['MD5', 'md5']]) {
    assert.equal(evaluate(`Convert.ToBase64String(${type}.Create().ComputeHash(Encoding.UTF8.GetBytes("abc")))`), b64(createHash(alg).update('abc').digest()), type);
  }
  assert.equal(evaluate('Convert.ToBase64String(new System.Security.Cryptography.SHA256Managed().ComputeHash(Encoding.UTF8.GetBytes("abc")))'), b64(createHash('sha256').update('abc').digest()));
});

test('the OAuth proxy\'s PKCE code challenge (base64url of SHA-256)', () => {
  const source = 'Convert.ToBase64String(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes((string)context.Variables["name"]))).Split(\'=\')[0].Replace(\'+\', \'-\').Replace(\'/\', \'_\')';
  assert.equal(evaluate(source), createHash('sha256').update('outpost').digest('base64url'));
});

test('HMACSHA256 with a key, fully qualified as the Storage SAS sample writes it; Key reads back', () => {
  const key = Buffer.from('secret-key-bytes');
  const source = `@{
    System.Security.Cryptography.HMACSHA256 hasher = new System.Security.Cryptography.HMACSHA256(Convert.FromBase64String("${b64(key)}"));
    return Convert.ToBase64String(hasher.ComputeHash(System.Text.Encoding.UTF8.GetBytes("string-to-sign"))) + "|" + hasher.Key.Length;
  }`;
  assert.equal(evaluate(source.slice(2, -1), undefined, 'block'), `${b64(createHmac('sha256', key).update('string-to-sign').digest())}|${key.length}`);
  assert.equal(evaluate('Convert.ToBase64String(new HMACSHA1(Encoding.UTF8.GetBytes("k")).ComputeHash(Encoding.UTF8.GetBytes("m")))'), b64(createHmac('sha1', 'k').update('m').digest()));
});

test('a string where .NET wants byte[] is an ArgumentException at run time; unknown members are compile errors', () => {
  assert.throws(() => evaluate('SHA256.Create().ComputeHash("abc")'), (err: unknown) => err instanceof CsRuntimeError && err.type === 'ArgumentException');
  assert.throws(() => evaluate('SHA256.Create().TransformBlock()'), /TransformBlock/);
});

test('using (var x = ...) { } and using var x = ...; run as a declaration and its body', () => {
  const block = `using (var sha256 = System.Security.Cryptography.SHA256.Create())
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes("abc");
        return Convert.ToBase64String(sha256.ComputeHash(bytes));
    }`;
  assert.equal(evaluate(block, undefined, 'block'), b64(createHash('sha256').update('abc').digest()));
  assert.equal(evaluate('using var h = SHA1.Create(); return h.ComputeHash(Encoding.UTF8.GetBytes("a")).Length;', undefined, 'block'), 20);
  assert.throws(() => evaluate('using (SHA1.Create()) { return 1; }', undefined, 'block'), /needs a declaration/);
  assert.throws(() => evaluate('using (var h = SHA1.Create()) { } return h;', undefined, 'block'), /h/, 'the variable is scoped to the using');
});

test('BitConverter.ToString: uppercase hex pairs with dashes, as the AWS SigV4 sample lowercases and strips', () => {
  assert.equal(evaluate('BitConverter.ToString(new byte[] { 10, 27, 255 })'), '0A-1B-FF');
  assert.equal(evaluate('BitConverter.ToString(Encoding.UTF8.GetBytes("abc"), 1)'), '62-63');
  assert.equal(evaluate('BitConverter.ToString(Encoding.UTF8.GetBytes("abc"), 1, 1)'), '62');
  assert.equal(evaluate('BitConverter.ToString(new byte[0])'), '');
  assert.equal(evaluate('BitConverter.ToString(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes("abc"))).Replace("-", "").ToLowerInvariant()'), createHash('sha256').update('abc').digest('hex'));
  assert.throws(() => evaluate('BitConverter.ToString(Encoding.UTF8.GetBytes("abc"), 2, 5)'), (err: unknown) => err instanceof CsRuntimeError && err.type === 'ArgumentOutOfRangeException');
});
