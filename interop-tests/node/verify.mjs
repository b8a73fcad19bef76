// Verifies agent access tokens with panva/jose, knowing nothing but the issuer's metadata URL.
//
//   node node/verify.mjs <metadata-url> <audience>[,<audience>...]  < tokens (one per line)
//
// Tokens are read from standard input so that they never appear in a process listing. For every
// token, one JSON line is printed, in input order:
//   {"ok":true,"header":{...},"payload":{...}}
//   {"ok":false,"code":"ERR_JWT_EXPIRED","message":"..."}
// Exit status: 0 when every token was examined (whatever the verdicts), 2 on bad usage or when the
// metadata cannot be fetched or is inconsistent.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createInterface } from 'node:readline';

const WELL_KNOWN = '/.well-known/oauth-authorization-server';

function fail(message) {
  process.stderr.write(`verify.mjs: ${message}\n`);
  process.exit(2);
}

// RFC 8414 section 3: the well-known segment is inserted between the host and the issuer's path.
function expectedIssuer(metadataUrl) {
  const url = new URL(metadataUrl);
  if (!url.pathname.startsWith(WELL_KNOWN)) {
    fail(`not an RFC 8414 metadata URL: ${metadataUrl}`);
  }
  const path = url.pathname.substring(WELL_KNOWN.length);
  return `${url.protocol}//${url.host}${path}`;
}

async function readTokens() {
  const tokens = [];
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const token = line.trim();
    if (token.length > 0) {
      tokens.push(token);
    }
  }
  return tokens;
}

async function main() {
  const [metadataUrl, audienceArg] = process.argv.slice(2);
  if (!metadataUrl || !audienceArg) {
    fail('usage: verify.mjs <metadata-url> <audience>[,<audience>...] < tokens');
  }
  const audience = audienceArg.split(',');

  const response = await fetch(metadataUrl, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    fail(`metadata request answered ${response.status}`);
  }
  const metadata = await response.json();
  // RFC 8414 section 3.3: the issuer in the document must be the one the URL was built from.
  if (metadata.issuer !== expectedIssuer(metadataUrl)) {
    fail(`metadata issuer ${metadata.issuer} does not match ${expectedIssuer(metadataUrl)}`);
  }
  if (typeof metadata.jwks_uri !== 'string') {
    fail('metadata has no jwks_uri');
  }
  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));

  for (const token of await readTokens()) {
    let result;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: metadata.issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      result = { ok: true, header: protectedHeader, payload };
    } catch (err) {
      result = { ok: false, code: err.code ?? err.name, message: err.message };
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

main().catch((err) => fail(err.stack ?? String(err)));
