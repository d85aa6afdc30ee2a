import type { AgentCard, SecurityRequirement, SecurityScheme } from '../protocol/index.js';

/**
 * The authentication the gateway has enabled, as its cards announce it (§4.4, §7.3). Each
 * member present is one way in; any one of them suffices.
 */
export interface EnabledAuth {
  /** JWTs sent as `Authorization: Bearer`, from the issuers the gateway trusts. */
  bearer?: { issuers?: readonly string[]; description?: string };
  /** The gateway's own token endpoint: OAuth 2.0 client credentials (RFC 6749 §4.4). */
  oauth?: {
    tokenUrl: string;
    /** Scope name to a short description, as OpenAPI scope maps read. */
    scopes: Readonly<Record<string, string>>;
    description?: string;
  };
  /** API keys sent in a header. */
  apiKey?: { header: string; description?: string };
}

/** The names the card gives the schemes; requirements refer to them. */
const SECURITY_SCHEME_NAMES = { oauth: 'oauth2', bearer: 'bearer', apiKey: 'apiKey' } as const;

export type CardSecurity = Pick<AgentCard, 'securitySchemes' | 'securityRequirements'>;

/**
 * The card's `securitySchemes` and `securityRequirements` for what is enabled: one
 * requirement per scheme (requirements are alternatives, OpenAPI's OR), each naming the
 * `scopes` a caller needs. Nothing enabled: neither field, so the card claims no security.
 */
export function cardSecurity(auth: EnabledAuth, scopes: readonly string[]): CardSecurity {
  const schemes: Record<string, SecurityScheme> = {};
  if (auth.oauth) {
    const { tokenUrl, scopes: offered, description } = auth.oauth;
    schemes[SECURITY_SCHEME_NAMES.oauth] = {
      oauth2SecurityScheme: {
        ...(description ? { description } : {}),
        flows: { clientCredentials: { tokenUrl, scopes: { ...offered } } },
      },
    };
  }
  if (auth.bearer) {
    const description = auth.bearer.description ?? issuedBy(auth.bearer.issuers);
    schemes[SECURITY_SCHEME_NAMES.bearer] = {
      httpAuthSecurityScheme: {
        scheme: 'Bearer',
        bearerFormat: 'JWT',
        ...(description ? { description } : {}),
      },
    };
  }
  if (auth.apiKey) {
    const { header, description } = auth.apiKey;
    schemes[SECURITY_SCHEME_NAMES.apiKey] = {
      apiKeySecurityScheme: {
        location: 'header',
        name: header,
        ...(description ? { description } : {}),
      },
    };
  }
  const names = Object.keys(schemes);
  if (names.length === 0) return {};
  // An empty list is the proto default, omitted on the wire (§8.4.1): `{}` rather than `[]`.
  const needed = scopes.length > 0 ? { list: [...scopes] } : {};
  const securityRequirements: SecurityRequirement[] = names.map((name) => ({
    schemes: { [name]: needed },
  }));
  return { securitySchemes: schemes, securityRequirements };
}

function issuedBy(issuers: readonly string[] | undefined): string | undefined {
  return issuers?.length ? `A JWT issued by ${issuers.join(' or ')}` : undefined;
}
