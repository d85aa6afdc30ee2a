import { z } from 'zod';

/**
 * A credential in an agent file: written inline, or (better: files get committed) named by
 * the environment variable that holds it, `{ "env": "UPSTREAM_TOKEN" }`.
 */
export const SecretSchema = z.union([
  z.string().min(1),
  z.strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
  }),
]);
export type Secret = z.infer<typeof SecretSchema>;

export class MissingSecretError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set (the agent file names it for a secret)`);
    this.name = 'MissingSecretError';
  }
}

/** The secret's value now; a named variable that is unset or empty throws. */
export function resolveSecret(secret: Secret, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof secret === 'string') return secret;
  const value = env[secret.env];
  if (!value) throw new MissingSecretError(secret.env);
  return value;
}
