/**
 * The closed list of pipeline sections, in the order a request meets them, and the three
 * outcomes a policy can have. This file is the one place that defines them.
 *
 *   request ──▶ [subscription check] ──▶ inbound ──▶ backend ──▶ (forward to the backend)
 *                                          │            │                 │
 *                                          │ respond    │ respond         ▼
 *                                          ├────────────┴──────────▶ outbound ──▶ client
 *                                          │ fail          fail / backend error   │ fail
 *                                          └────────────────▶ on-error ◀──────────┘
 *                                                                │
 *                                                                ▼
 *                                                             client
 *
 * - inbound: runs on the request before anything is sent (auth, limits, rewrites, mocks).
 * - backend: chooses how the request is forwarded (set-backend-service, forward-request, retry).
 * - outbound: runs on the backend's response status and headers before they reach the client.
 * - on-error: runs when any section fails or the backend cannot be reached; `lastError` says why.
 *
 * `respond` from inbound or backend ends the request with the response the policy built
 * (APIM's return-response: outbound does not run). `fail` goes to on-error.
 */
export const SECTIONS = ['inbound', 'backend', 'outbound', 'on-error'] as const;
export type Section = (typeof SECTIONS)[number];

export const CONTINUE = 0;
export const RESPOND = 1;
export const FAIL = 2;
export type Outcome = typeof CONTINUE | typeof RESPOND | typeof FAIL;
