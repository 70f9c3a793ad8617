/**
 * The names a policy expression may use, known at compile time so that anything outside the
 * subset is a compile error naming it: type names (for casts, `is`, `as`, declarations, `new`,
 * static calls), and every instance member some runtime value offers. The runtime files register
 * their members here (cs-members.ts, cs-context.ts, cs-statics.ts); the parser only reads.
 */

/** C# keywords and .NET names that denote a type, normalised: `String` and `string` are one. */
const TYPE_ALIASES: Record<string, string> = {
  string: 'string', String: 'string', int: 'int', Int32: 'int', long: 'long', Int64: 'long', short: 'int', Int16: 'int',
  uint: 'long', UInt32: 'long', ulong: 'long', UInt64: 'long', byte: 'int', Byte: 'int', sbyte: 'int', SByte: 'int', ushort: 'int', UInt16: 'int', double: 'double', Double: 'double', float: 'double', Single: 'double',
  decimal: 'double', Decimal: 'double', bool: 'bool', Boolean: 'bool', object: 'object', Object: 'object', char: 'char', Char: 'char',
  DateTime: 'DateTime', DateTimeOffset: 'DateTime', TimeSpan: 'TimeSpan', Guid: 'Guid', Uri: 'Uri',
  JObject: 'JObject', JArray: 'JArray', JToken: 'JToken', JValue: 'JToken', JProperty: 'JProperty',
  Jwt: 'Jwt', BasicAuthCredentials: 'BasicAuthCredentials', Regex: 'Regex', Match: 'Match',
  Encoding: 'Encoding', Convert: 'Convert', Math: 'Math', StringComparison: 'StringComparison', Formatting: 'Formatting',
  WebUtility: 'WebUtility', HttpUtility: 'WebUtility', Array: 'Array', Enumerable: 'Enumerable', Environment: 'Environment',
  IEnumerable: 'IEnumerable', List: 'List', IList: 'List', ICollection: 'List', Dictionary: 'Dictionary', IDictionary: 'Dictionary',
  IReadOnlyDictionary: 'Dictionary', KeyValuePair: 'KeyValuePair', StringBuilder: 'StringBuilder', StringSplitOptions: 'StringSplitOptions',
  RegexOptions: 'RegexOptions', JTokenType: 'JTokenType', DateTimeKind: 'DateTimeKind', CultureInfo: 'CultureInfo', DateTimeStyles: 'DateTimeStyles',
  Func: 'Func', Random: 'Random', JsonConvert: 'JsonConvert',
  // What send-request stores in its response-variable-name: `((IResponse)context.Variables["r"]).Body`.
  IResponse: 'IResponse',
  // What get-authorization-context stores in its context-variable-name: `((Authorization)context.Variables["a"]).AccessToken`.
  Authorization: 'Authorization',
  MD5: 'MD5', SHA1: 'SHA1', SHA256: 'SHA256', SHA384: 'SHA384', SHA512: 'SHA512', SHA1Managed: 'SHA1Managed', SHA256Managed: 'SHA256Managed',
  SHA384Managed: 'SHA384Managed', SHA512Managed: 'SHA512Managed', HMACMD5: 'HMACMD5', HMACSHA1: 'HMACSHA1', HMACSHA256: 'HMACSHA256',
  HMACSHA384: 'HMACSHA384', HMACSHA512: 'HMACSHA512', BitConverter: 'BitConverter',
  XDocument: 'XDocument', XElement: 'XElement', XAttribute: 'XAttribute', XName: 'XName', XNode: 'XNode', XmlReader: 'XmlReader',
  StringReader: 'StringReader', XmlNodeType: 'XmlNodeType', Group: 'Group', Capture: 'Capture',
  Aes: 'Aes', AesManaged: 'AesManaged', AesCryptoServiceProvider: 'AesCryptoServiceProvider', Rijndael: 'Rijndael', RijndaelManaged: 'RijndaelManaged',
  TripleDES: 'TripleDES', TripleDESCryptoServiceProvider: 'TripleDESCryptoServiceProvider', SymmetricAlgorithm: 'SymmetricAlgorithm',
};

/** Namespaces a fully qualified name may start with (`System.Text.Encoding.UTF8`). */
export const NAMESPACE_ROOTS = new Set(['System', 'Newtonsoft']);

export function typeAlias(name: string): string | undefined {
  return Object.hasOwn(TYPE_ALIASES, name) ? TYPE_ALIASES[name] : undefined;
}

const instanceMembers = new Set<string>();
const staticMembers = new Set<string>();

/** Runtime files declare the instance members (properties and methods) their values offer. */
export function declareMembers(names: readonly string[]): void {
  for (const n of names) instanceMembers.add(n);
}

/** `Type.Member` pairs with a static implementation. */
export function declareStatics(names: readonly string[]): void {
  for (const n of names) staticMembers.add(n);
}

export function isInstanceMember(name: string): boolean {
  return instanceMembers.has(name);
}

export function isStaticMember(type: string, name: string): boolean {
  return staticMembers.has(`${type}.${name}`);
}
