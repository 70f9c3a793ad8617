// Ported from MDA2AV/Http11Probe (MIT), src/Http11Probe/TestCases/Suites/NormalizationSuite.cs (scored cases only).
import { normalizationValidator, toBytes, type ProbeCase } from './probe-types.js';

export const normalizationCases: ProbeCase[] = [
  {
    id: 'NORM-UNDERSCORE-CL', category: 'Normalization', level: 'NotApplicable',
    description: "Underscore in Content-Length name \u2014 checks if server normalizes Content_Length to Content-Length",
    payload: (host: string) => toBytes(
                `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 11\r\nContent_Length: 99\r\n\r\nhello world`),
    judge: normalizationValidator("Content-Length", "Content_Length", "99"),
  },
  {
    id: 'NORM-SP-BEFORE-COLON-CL', category: 'Normalization', level: 'Must',
    description: "Space before colon in Content-Length \u2014 checks if server strips whitespace before colon",
    payload: (host: string) => toBytes(
                `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 11\r\nContent-Length : 5\r\n\r\nhello world`),
    judge: normalizationValidator("Content-Length", "Content-Length ", "5"),
  },
  {
    id: 'NORM-TAB-IN-NAME', category: 'Normalization', level: 'Must',
    description: "Tab character in header name \u2014 checks if server normalizes Content\\\\tLength to Content-Length",
    payload: (host: string) => toBytes(
                `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 11\r\nContent\tLength: 99\r\n\r\nhello world`),
    judge: normalizationValidator("Content-Length", "Content\tLength", "99"),
  },
  {
    id: 'NORM-UNDERSCORE-TE', category: 'Normalization', level: 'NotApplicable',
    description: "Underscore in Transfer-Encoding name \u2014 checks if server normalizes Transfer_Encoding to Transfer-Encoding",
    payload: (host: string) => toBytes(
                `POST /echo HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 11\r\nTransfer_Encoding: chunked\r\n\r\nhello world`),
    judge: normalizationValidator("Transfer-Encoding", "Transfer_Encoding", "chunked"),
  },
];
