import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Who may talk to the live view. */
export interface AccessOptions {
  /** The address the server listens on: its name is one the Host header may carry. */
  host: string;
  /** Asked for on every request (query `token`, `Authorization: token|Bearer <t>`, or the cookie the page gets). */
  token?: string;
  /** More names the Host header may carry (a DNS name of the machine). */
  allowHosts?: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Whether an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A token for a server reachable beyond this machine, printed in its URL (as Jupyter does). */
export const makeToken = () => randomBytes(24).toString('hex');

/** How an address is written in a Host header (IPv6 in brackets), lower case. */
const asHostName = (h: string) => {
  const bare = h.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return bare.includes(':') ? `[${bare}]` : bare;
};

/**
 * The names a Host header may carry: loopback, the bound address, and when bound to
 * every interface, this machine's name and each interface's address. Anything else
 * is a page of another site that had its name point here (DNS rebinding).
 */
export function boundNames(host: string, extra: readonly string[] = []): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, asHostName(host), ...extra.map(asHostName)]);
  if (WILDCARDS.has(host)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(asHostName(a.address));
  }
  return names;
}

/** The name in a Host header, without its port. */
export function hostHeaderName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameToken = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** The token's cookie, per port: two live views on one machine keep theirs apart. */
const cookieName = (port: number | undefined) => `clusterflow-token-${port ?? 0}`;

function cookieValue(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

function presentedToken(req: FastifyRequest): { token?: string; fromQuery: boolean } {
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  if (typeof q === 'string') return { token: q, fromQuery: true };
  const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (auth) return { token: auth[1], fromQuery: false };
  return { token: cookieValue(req, cookieName(req.raw.socket.localPort)), fromQuery: false };
}

/**
 * Checks every request, before any route: the Host header (403 unless a bound name)
 * and, when there is a token, the token (401). A token given in the query is kept in
 * an HttpOnly, SameSite=Strict cookie, so the page's own requests carry it.
 */
export function guard(app: FastifyInstance, opts: AccessOptions): void {
  const names = boundNames(opts.host, opts.allowHosts);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const name = hostHeaderName(req.headers.host ?? '');
    if (!names.has(name)) {
      return reply
        .code(403)
        .type('text/plain; charset=utf-8')
        .send(
          `Host '${name}' is not a name this live view is bound to; open it by one of ${[...names].slice(0, 6).join(', ')} (or start it with --allow-host ${name || '<name>'})\n`,
        );
    }
    if (opts.token === undefined) return;
    const { token, fromQuery } = presentedToken(req);
    if (token === undefined || !sameToken(token, opts.token)) {
      return reply.code(401).send({ error: 'this live view asks for its token: open the URL it printed (…/?token=…), or pass Authorization: token <token>' });
    }
    if (fromQuery) void reply.header('set-cookie', `${cookieName(req.raw.socket.localPort)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
  });
}
