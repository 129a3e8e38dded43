/**
 * The Agile CRM sandbox as one web-standard app: the REST API under `/dev/api`, the OAuth server under `/oauth`,
 * the demo page at `/demo` (and the harder pages of fixtures.ts under it) and a stand-in for Agile's web app at `/`.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { apiRoutes } from './api';
import { faultMiddleware } from './faults';
import { discoveryRoutes, oauthRoutes } from './oauth';
import { adversarialPage, formsPage, framedMessage, framesPage, idnPage, layoutPage, largePage, otherOriginFrame, pdfDocument, shadowPage } from './fixtures';
import { gmailPage, outlookPage } from './mail-fixtures';
import { demoPage, hostilePage, manyEmailsPage, webAppPage } from './pages';
import { createState, type SandboxOptions, type SandboxState } from './state';

export interface Sandbox {
  app: Hono;
  state: SandboxState;
}

/** @example const { app, state } = createSandbox({ clients: [devClient] }); await app.request('/demo'); */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const state = createState(options);
  const app = new Hono();
  app.use('*', bodyLimit({ maxSize: 1024 * 1024, onError: (c) => c.text('Request Entity Too Large', 413) }));
  app.use('*', faultMiddleware(state.faults, (name) => state.hit(name)));
  app.use('/oauth/authorize', async (c, next) => {
    await next();
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('Content-Security-Policy', "frame-ancestors 'none'");
  });
  app.route('/oauth', oauthRoutes(state));
  app.route('/.well-known', discoveryRoutes(state));
  app.route('/dev/api', apiRoutes(state));
  app.get('/demo', (c) => c.html(demoPage(state.seed)));
  app.get('/demo/many', (c) => c.html(manyEmailsPage(state.seed, Number(c.req.query('n') ?? 50))));
  app.get('/demo/hostile', (c) => c.html(hostilePage(state.seed)));
  // The frame of "another site" is this server under its other loopback name: a different origin to the browser.
  app.get('/demo/frames', (c) => {
    const url = new URL(c.req.url);
    const other = `${url.protocol}//${url.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${url.port}`;
    return c.html(framesPage(state.seed, other));
  });
  app.get('/demo/frames/message', (c) => c.html(framedMessage(state.seed)));
  app.get('/demo/frames/other', (c) => c.html(otherOriginFrame()));
  app.get('/demo/shadow', (c) => c.html(shadowPage(state.seed)));
  app.get('/demo/forms', (c) => c.html(formsPage(state.seed)));
  app.get('/demo/idn', (c) => c.html(idnPage(state.seed)));
  app.get('/demo/layout', (c) => c.html(layoutPage(state.seed)));
  app.get('/demo/large', (c) => c.html(largePage(state.seed)));
  app.get('/demo/adversarial', (c) => c.html(adversarialPage(state.seed)));
  // Mail apps' shapes (mail-fixtures.ts): any path under them is the app, which reads its URL as those apps do.
  app.get('/demo/gmail/*', (c) => c.html(gmailPage(state.seed)));
  app.get('/demo/outlook/*', (c) => c.html(outlookPage(state.seed)));
  app.get('/demo/card.pdf', (c) => c.body(pdfDocument(`Vega Logistica - ${state.seed.quirks.card}`), 200, { 'Content-Type': 'application/pdf' }));
  app.get('/', (c) => c.html(webAppPage()));
  // Agile answers a broken request with a bare HTML 500; never a stack trace.
  app.onError((_error, c) => c.html('<html><body><h1>HTTP Status 500 - Internal Server Error</h1></body></html>', 500));
  app.notFound((c) => c.text('Not Found', 404));
  return { app, state };
}
