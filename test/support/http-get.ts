/** One GET on a fresh connection (no agent), so requests spread over the gateway's workers. */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface GetResult { status: number; headers: IncomingHttpHeaders; body: string }

export function freshGet(url: string, headers: Record<string, string> = {}): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}
