// Takes tokens from an agentid issuer with panva/openid-client, as any OAuth 2.0 client would: RFC 8414
// discovery, private_key_jwt client authentication (RFC 7523), client_credentials, and RFC 8693 token
// exchange through openid-client's genericGrantRequest.
//
//   node node/openid-client-exchange.mjs <issuer-url>  < plan.json
//
// The plan is read from standard input, because it holds the agents' private keys (and the tokens
// are passed between steps here), which must never appear in a process listing:
//   {"clients": {"<client_id>": <private JWK with kid>, ...},
//    "steps": [{"client": "<client_id>", "grant": "client_credentials", "parameters": {...}},
//              {"client": "<client_id>", "grant": "urn:ietf:params:oauth:grant-type:token-exchange",
//               "subject_token_from_step": 0, "parameters": {...}}]}
// A step with subject_token_from_step gets the access token of that earlier step as subject_token.
// Printed on standard output, one JSON line each:
//   {"discovered": {"issuer": ..., "token_endpoint": ..., "jwks_uri": ...}}
//   per step {"ok": true, "response": {...the token response...}}
//         or {"ok": false, "name": "ResponseBodyError", "error": "invalid_scope", "status": 400, ...}
// Exit status: 0 when every step was attempted (whatever the outcome), 2 on bad usage or failed discovery.
//
// The issuer under test listens on plain http on 127.0.0.1, so the configuration allows insecure
// requests (openid-client refuses http otherwise); a deployment uses https and leaves that out.
import * as client from 'openid-client';
import { importJWK } from 'jose';

function fail(message) {
  process.stderr.write(`openid-client-exchange.mjs: ${message}\n`);
  process.exit(2);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

// One Configuration per client: discovery with the RFC 8414 well-known URL (algorithm 'oauth2';
// openid-client's default 'oidc' would ask for /.well-known/openid-configuration).
async function configure(issuer, clientId, jwk) {
  const privateKey = await importJWK(jwk, 'ES256');
  return client.discovery(
    new URL(issuer),
    clientId,
    { token_endpoint_auth_method: 'private_key_jwt' },
    client.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }),
    { algorithm: 'oauth2', execute: [client.allowInsecureRequests] },
  );
}

function refusal(err) {
  return {
    ok: false,
    name: err.name,
    code: err.code,
    error: err.error,
    error_description: err.error_description,
    status: err.status,
    message: err.message,
  };
}

async function main() {
  const [issuer] = process.argv.slice(2);
  if (!issuer) {
    fail('usage: openid-client-exchange.mjs <issuer-url> < plan.json');
  }
  const plan = await readStdin();
  const configs = {};
  for (const [clientId, jwk] of Object.entries(plan.clients ?? {})) {
    try {
      configs[clientId] = await configure(issuer, clientId, jwk);
    } catch (err) {
      fail(`discovery for ${clientId} failed: ${err.code ?? err.name}: ${err.message}`);
    }
  }
  const any = Object.values(configs)[0];
  if (any) {
    const metadata = any.serverMetadata();
    const discovered = { issuer: metadata.issuer, token_endpoint: metadata.token_endpoint, jwks_uri: metadata.jwks_uri };
    process.stdout.write(`${JSON.stringify({ discovered })}\n`);
  }

  const issued = [];
  for (const step of plan.steps ?? []) {
    const config = configs[step.client];
    if (!config) {
      fail(`no client ${step.client} in the plan`);
    }
    const parameters = { ...step.parameters };
    if (step.subject_token_from_step !== undefined) {
      const subject = issued[step.subject_token_from_step];
      if (!subject) {
        fail(`step ${step.subject_token_from_step} issued no token`);
      }
      parameters.subject_token = subject;
    }
    let result;
    try {
      const response = step.grant === 'client_credentials'
        ? await client.clientCredentialsGrant(config, parameters)
        : await client.genericGrantRequest(config, step.grant, parameters);
      result = { ok: true, response };
      issued.push(response.access_token);
    } catch (err) {
      result = refusal(err);
      issued.push(undefined);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

main().catch((err) => fail(err.stack ?? String(err)));
