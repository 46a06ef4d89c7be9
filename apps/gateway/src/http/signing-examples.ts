/**
 * How an embedding site's backend mints playback tokens for a signed camera, in Node and in
 * Python: returned with the camera's links and printed in docs/api.md ("Securing playback"). Real
 * code, run by signing-examples.test.ts against a gateway.
 */
export interface SigningExamples {
  /** One paragraph: what to do with the examples. */
  explanation: string;
  /** Node 20+ with `npm install jose` (ES module). */
  node: string;
  /** Python 3 with `pip install "pyjwt[crypto]"`. */
  python: string;
}

/**
 * The examples for camera `cameraId` of the gateway at `base` (absolute, ending in `/`). Both read
 * the key from CAMGATE_SIGNING_KEY (the PKCS#8 PEM that `POST /v1/signing-keys` returned once) and
 * its id from CAMGATE_SIGNING_KEY_ID, and print an embed URL valid for an hour.
 */
export function signingExamples(cameraId: string, base: string): SigningExamples {
  const embed = `${base}embed/`;
  return {
    explanation:
      'This camera plays only with a playback token: a JWT signed with one of the gateway\'s signing keys, naming the camera in "sub" and expiring ("exp"). Create a key once with POST /v1/signing-keys and keep its private key on your server; then, for each page view, mint a token there and put it into the embed URL (or the playlist URL, in place of {token}). Never put the private key or the API key into a web page.',
    node: [
      '// Node 20+: npm install jose. Runs on your server, never in the browser.',
      "import { importPKCS8, SignJWT } from 'jose';",
      'const alg = \'ES256\'; // \'RS256\' for a key made with "algorithm": "RS256"',
      'const key = await importPKCS8(process.env.CAMGATE_SIGNING_KEY, alg);',
      '',
      `export async function embedUrl(cameraId = ${JSON.stringify(cameraId)}, ttlSeconds = 3600) {`,
      "  const token = await new SignJWT({ aud: 'playback' })",
      '    .setProtectedHeader({ alg, kid: process.env.CAMGATE_SIGNING_KEY_ID })',
      '    .setSubject(cameraId)',
      '    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)',
      '    .sign(key);',
      `  return \`${embed}\${encodeURIComponent(cameraId)}?token=\${token}\`;`,
      '}',
      '',
      'console.log(await embedUrl());',
      '',
    ].join('\n'),
    python: [
      '# Python 3: pip install "pyjwt[crypto]". Runs on your server, never in the browser.',
      'import os, time, urllib.parse',
      'import jwt',
      '',
      'KEY, KEY_ID = os.environ["CAMGATE_SIGNING_KEY"], os.environ["CAMGATE_SIGNING_KEY_ID"]',
      'ALG = "ES256"  # "RS256" for a key made with "algorithm": "RS256"',
      '',
      `def embed_url(camera_id=${JSON.stringify(cameraId)}, ttl_seconds=3600):`,
      '    claims = {"sub": camera_id, "aud": "playback", "exp": int(time.time()) + ttl_seconds}',
      '    token = jwt.encode(claims, KEY, algorithm=ALG, headers={"kid": KEY_ID})',
      `    return f"${embed}{urllib.parse.quote(camera_id)}?token={token}"`,
      '',
      'print(embed_url())',
      '',
    ].join('\n'),
  };
}
