// A real OpenID Provider (panva/oidc-provider) on 127.0.0.1 for the human-principal tests.
//
//   node node/oidc-provider.mjs [port]        (0 or absent: any free port)
//
// Prints one JSON line when it listens: {"issuer": "http://127.0.0.1:PORT", "client_id": ..., "port": ...,
// "console_client_id": ..., "console_client_secret": ...} (the web console's client, for ConsoleIT).
// Users log in non-interactively: GET /_test/login?user=alice&groups=support,ops[&resource=URL] runs a real
// authorization-code flow against this provider over HTTP (authorization endpoint -> interaction -> consent ->
// redirect with a code -> token endpoint with client_secret_basic) and answers {"id_token", "access_token"}.
// With resource (RFC 8707) the access token is an RFC 9068 JWT (typ at+jwt, ES256) for that audience.
// The interaction step completes the login for the login_hint user without a form: this provider is for tests.
// GET /_test/disable?user=alice&receiver=URL[&event=...] disables a user and pushes a Shared Signals SET about it.
import http from 'node:http';
import crypto from 'node:crypto';
import { generateKeyPair, exportJWK, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const CLIENT_ID = 'agentid';
const CLIENT_SECRET = crypto.randomBytes(24).toString('base64url');
const REDIRECT_URI = 'http://127.0.0.1/callback';
const API_SCOPE = 'tickets:read';

/**
 * The web console's client (ConsoleIT): a browser signs in at /console through this provider. Native application
 * type, so that its loopback redirect_uri matches whatever port the issuer under test listens on (RFC 8252 section
 * 7.3); PKCE as the console always sends it.
 */
const CONSOLE_CLIENT_ID = 'agentid-console';
const CONSOLE_CLIENT_SECRET = crypto.randomBytes(24).toString('base64url');
function consoleClient() {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_secret: CONSOLE_CLIENT_SECRET,
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/console/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

/** GET /_test/groups?user=alice&groups=sre,finance: the groups the user's next tokens carry (console sign-ins). */
function setGroups(ctx) {
  const groups = ctx.query.groups ? String(ctx.query.groups).split(',').filter(Boolean) : [];
  accounts.set(String(ctx.query.user), groups);
  ctx.body = { user: String(ctx.query.user), groups };
}

/** accountId -> groups, set by /_test/login before the flow starts. */
const accounts = new Map();
/** Users disabled by /_test/disable: they can no longer sign in. */
const disabled = new Set();

async function signingKeys() {
  const rsa = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const ec = await generateKeyPair('ES256', { extractable: true });
  return [
    { ...(await exportJWK(rsa.privateKey)), kid: 'rs-' + crypto.randomUUID(), alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.privateKey)), kid: 'es-' + crypto.randomUUID(), alg: 'ES256', use: 'sig' },
  ];
}

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.argv[2] || 0), '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const keys = await signingKeys();

const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }, consoleClient()],
  jwks: { keys },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], groups: ['groups'] },
  scopes: ['openid', 'groups', API_SCOPE],
  conformIdTokenClaims: false,          // the groups claim goes into the id_token itself
  findAccount: async (ctx, id) => (disabled.has(id) ? undefined : {
    accountId: id,
    claims: async () => ({ sub: id, groups: accounts.get(id) || [] }),
  }),
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource) => ({
        scope: API_SCOPE,
        audience: resource,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  extraTokenClaims: async (ctx, token) => (token.accountId ? { groups: accounts.get(token.accountId) || [] } : undefined),
  interactions: { url: async (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { IdToken: 600, AccessToken: 600 },
});

/** The interaction: log the login_hint user in, and grant what the client asked for. */
async function interaction(ctx) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result;
  if (prompt.name === 'login') {
    result = { login: { accountId: String(params.login_hint) } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.redirect(redirectTo);
}

/** A user agent with a cookie jar: follows the provider's redirects until it lands on the client's callback. */
async function login(user, groups, resource) {
  accounts.set(user, groups);
  const jar = new Map();
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI,
    scope: resource ? `openid groups ${API_SCOPE}` : 'openid groups', login_hint: user,
    state: crypto.randomUUID(), nonce: crypto.randomUUID(), ...(resource ? { resource } : {}),
  }).toString();
  let url = auth.toString();
  for (let hop = 0; hop < 12; hop++) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`${url} answered ${res.status} without a redirect: ${await res.text()}`);
    const next = new URL(location, url);
    if (next.toString().startsWith(REDIRECT_URI)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`the callback carries no code: ${next.search}`);
      const token = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'Basic ' + Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...(resource ? { resource } : {}),
        }),
      });
      const body = await token.json();
      if (!token.ok) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
      return { id_token: body.id_token, access_token: body.access_token };
    }
    url = next.toString();
  }
  throw new Error('too many redirects');
}

provider.use(async (ctx, next) => {
  const interactionPath = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (interactionPath && ctx.method === 'GET') {
    await interaction(ctx);
    return;
  }
  if (ctx.path === '/_test/groups' && ctx.method === 'GET') {
    setGroups(ctx);
    return;
  }
  if (ctx.path === '/_test/login' && ctx.method === 'GET') {
    const user = ctx.query.user;
    const groups = ctx.query.groups ? String(ctx.query.groups).split(',').filter(Boolean) : [];
    try {
      ctx.body = await login(String(user), groups, ctx.query.resource ? String(ctx.query.resource) : undefined);
    } catch (e) {
      ctx.status = 500;
      ctx.body = { error: String(e.message || e) };
    }
    return;
  }
  await next();
});

// Shared Signals transmitter: GET /_test/disable?user=alice&receiver=URL[&event=account-disabled] disables the user
// (no sign-in from then on) and pushes a Security Event Token about it (RFC 8417, SSF 1.0 sub_id iss_sub), signed with
// this provider's own ES256 key (the one its jwks_uri publishes), to the receiver (RFC 8935 push). Answers
// {"status": <receiver's HTTP status>, "body": <its answer>, "jti": ...}. Events: account-disabled (RISC, the default),
// session-revoked or credential-change (CAEP).
const EVENT_TYPES = {
  'account-disabled': 'https://schemas.openid.net/secevent/risc/event-type/account-disabled',
  'session-revoked': 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  'credential-change': 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
};

async function disableUser(user, receiver, event) {
  disabled.add(user);
  const type = EVENT_TYPES[event];
  if (!type) throw new Error(`unknown event ${event}`);
  const es = keys.find((k) => k.alg === 'ES256');
  const key = await importJWK(es, 'ES256');
  const jti = crypto.randomUUID();
  const payload = event === 'credential-change'
    ? { credential_type: 'password', change_type: 'revoke', event_timestamp: Math.floor(Date.now() / 1000) }
    : event === 'account-disabled'
      ? { reason: 'hijacking' }
      : { event_timestamp: Math.floor(Date.now() / 1000) };
  const set = await new SignJWT({ sub_id: { format: 'iss_sub', iss: issuer, sub: user }, events: { [type]: payload } })
    .setProtectedHeader({ alg: 'ES256', kid: es.kid, typ: 'secevent+jwt' })
    .setIssuer(issuer).setAudience(CLIENT_ID).setIssuedAt().setJti(jti)
    .sign(key);
  const res = await fetch(receiver, {
    method: 'POST',
    headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json' },
    body: set,
  });
  return { status: res.status, body: await res.text(), jti };
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/disable' && ctx.method === 'GET') {
    try {
      ctx.body = await disableUser(String(ctx.query.user), String(ctx.query.receiver),
        String(ctx.query.event || 'account-disabled'));
    } catch (e) {
      ctx.status = 500;
      ctx.body = { error: String(e.message || e) };
    }
    return;
  }
  await next();
});

server.on('request', provider.callback());
process.stdout.write(JSON.stringify({
  issuer, client_id: CLIENT_ID, port, console_client_id: CONSOLE_CLIENT_ID, console_client_secret: CONSOLE_CLIENT_SECRET,
}) + '\n');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
