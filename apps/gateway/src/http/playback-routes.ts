import type { FastifyInstance } from 'fastify';
import type { CameraManager } from '../cameras/camera-manager.js';
import { errors } from '../errors.js';
import type { PlaybackTokens } from '../playback/playback-tokens.js';
import { SIGNING_ALGORITHMS, SIGNING_KEY_ID, type SigningAlgorithm } from '../playback/signing-key-store.js';
import type { SigningKeys } from '../playback/signing-keys.js';
import { cameraLinks, gatewayBase } from './camera-links.js';
import { problemSchema as problem } from './problem.js';

/** Tokens minted here live 10 s to 7 days; an hour when not asked. */
export const MIN_TOKEN_TTL_S = 10;
export const MAX_TOKEN_TTL_S = 7 * 24 * 3600;
export const DEFAULT_TOKEN_TTL_S = 3600;
/** 16 KiB: an RSA-16384 public key as PEM is under 3 KB. */
const MAX_PUBLIC_KEY_LENGTH = 16 * 1024;

export interface PlaybackRoutesOptions {
  cameras: CameraManager;
  keys: SigningKeys;
  tokens: PlaybackTokens;
  publicUrl?: string | undefined;
}

const signingKeySchema = {
  $id: 'signingKey',
  type: 'object',
  properties: {
    id: { type: 'string', description: 'The kid tokens name in their header' },
    name: { type: 'string' },
    algorithm: { type: 'string', enum: [...SIGNING_ALGORITHMS] },
    managed: {
      type: 'boolean',
      description:
        "The gateway's own key, which mints POST /v1/cameras/{id}/playback-tokens; deleting it revokes those tokens and a new one is made",
    },
    createdAt: { type: 'string', format: 'date-time' },
    publicKey: { type: 'string', description: 'SPKI PEM' },
    publicJwk: { type: 'object', additionalProperties: true },
  },
} as const;

/** A key's or a camera's id in the path (both at most 64 characters). */
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64 } },
} as const;

/**
 * Signed playback's API (inside `/v1`, behind the API key): signing keys, and playback tokens
 * minted with the gateway's own key.
 */
export function registerPlaybackRoutes(api: FastifyInstance, options: PlaybackRoutesOptions): void {
  const { cameras, keys, tokens } = options;
  api.addSchema(signingKeySchema);

  api.post<{ Body: { algorithm?: SigningAlgorithm; name?: string; publicKey?: string | Record<string, unknown> } }>(
    '/signing-keys',
    {
      bodyLimit: 64 * 1024,
      schema: {
        summary:
          'Create a key that signs playback tokens: a key pair whose private key (PKCS#8 PEM) is returned once and never kept, or register your own public key',
        tags: ['playback'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            algorithm: { type: 'string', enum: [...SIGNING_ALGORITHMS], default: 'ES256' },
            name: { type: 'string', maxLength: 200, 'x-camera-name': true },
            publicKey: {
              description:
                'Your own public key (SPKI PEM, or a JWK object) instead of a new pair: your backend keeps the private key',
              anyOf: [
                { type: 'string', minLength: 1, maxLength: MAX_PUBLIC_KEY_LENGTH },
                { type: 'object', maxProperties: 32 },
              ],
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              ...signingKeySchema.properties,
              privateKey: {
                type: 'string',
                description: 'PKCS#8 PEM, shown this once: keep it on your server (absent when you sent publicKey)',
              },
            },
          },
          400: problem,
          409: problem,
        },
      },
    },
    async (request, reply) => {
      // SigningKeys tells PlaybackTokens of the new key: refusals are forgotten.
      const created = await keys.create(request.body);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `/v1/signing-keys/${created.id}`)
        .send(created);
    },
  );

  api.get(
    '/signing-keys',
    {
      schema: {
        summary: 'List the signing keys (public parts only)',
        tags: ['playback'],
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'signingKey#' } } } },
        },
      },
    },
    (_request, reply) => reply.send({ items: keys.list() }),
  );

  api.get<{ Params: { id: string } }>(
    '/signing-keys/:id',
    {
      schema: {
        summary: 'One signing key (public part only)',
        tags: ['playback'],
        params: idParams,
        response: { 200: { $ref: 'signingKey#' }, 404: problem },
      },
    },
    (request, reply) => {
      const key = SIGNING_KEY_ID.test(request.params.id) ? keys.get(request.params.id) : undefined;
      if (key === undefined) throw errors.signingKeyNotFound(request.params.id);
      return reply.send(key);
    },
  );

  api.delete<{ Params: { id: string } }>(
    '/signing-keys/:id',
    {
      schema: {
        summary: 'Delete a signing key: every token it signed is refused from now on',
        tags: ['playback'],
        params: idParams,
        response: { 204: { type: 'null', description: 'Deleted; its tokens are revoked' }, 404: problem },
      },
    },
    async (request, reply) => {
      if (!(await keys.delete(request.params.id))) throw errors.signingKeyNotFound(request.params.id);
      return reply.code(204).send();
    },
  );

  api.post<{ Params: { id: string }; Body: { ttlSeconds: number } | undefined }>(
    '/cameras/:id/playback-tokens',
    {
      bodyLimit: 4 * 1024,
      schema: {
        summary:
          "Mint a playback token for a camera with the gateway's own key, with the camera's playlist and embed URLs carrying it",
        tags: ['playback'],
        params: idParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            ttlSeconds: {
              type: 'integer',
              minimum: MIN_TOKEN_TTL_S,
              maximum: MAX_TOKEN_TTL_S,
              default: DEFAULT_TOKEN_TTL_S,
              description: 'How long the token is valid',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              token: { type: 'string' },
              expiresAt: { type: 'string', format: 'date-time' },
              cameraId: { type: 'string' },
              playlist: { type: 'string' },
              standardPlaylist: { type: 'string' },
              embed: { type: 'string' },
              snippet: { type: 'string' },
            },
          },
          404: problem,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (cameras.playbackPolicy(id) === undefined) throw errors.cameraNotFound(id);
      const { token, expiresAt } = await tokens.mint(id, request.body?.ttlSeconds ?? DEFAULT_TOKEN_TTL_S);
      const { playlist, standardPlaylist, embed, snippet } = cameraLinks(
        id,
        gatewayBase(request, options.publicUrl),
        'signed',
        token,
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ token, expiresAt: expiresAt.toISOString(), cameraId: id, playlist, standardPlaylist, embed, snippet });
    },
  );
}
