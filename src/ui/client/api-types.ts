/*
 * The shapes of the API answers the page reads, as far as the page reads them: the OpenAPI document
 * (/docs) is the full contract. Optional where an answer may leave a field out.
 */

export interface ValidTime {
  at?: string;
  from?: string;
  to?: string;
}

export interface Source {
  publisher: string;
  title: string;
  url: string;
  publishedOn?: string;
  accessedOn?: string;
  archivedUrl?: string;
  quote?: string;
}

export interface Entity {
  name: string;
  type: string;
}

export interface Change {
  type?: string;
  actor?: string;
  reason?: string;
}

export interface Fact {
  id: string;
  title: string;
  summary?: string;
  kind?: 'event' | 'state';
  status?: string;
  certainty?: string;
  validTime?: ValidTime;
  tags?: string[];
  entities?: Entity[];
  sources?: Source[];
  recordedAt?: string;
  lastChange?: Change;
}

export interface FactVersion extends Fact {
  position?: string;
  supersededAt?: string | null;
}

export interface ClaimValue {
  kind: 'exact' | 'range' | 'bound' | string;
  value?: number;
  min?: number;
  max?: number;
  qualifier?: string;
}

export interface Rank {
  value: string;
}

export interface Claim {
  claimId: string;
  claimant: string;
  value: ClaimValue;
  low: number;
  high: number;
  assertedOn: string;
  period?: ValidTime;
  source?: Source;
  sources?: Source[];
  rank?: Rank;
  possiblyNewer?: { value: ClaimValue; assertedOn: string }[];
}

export interface HistoryEntry {
  claimId: string;
  kind: 'asserted' | 'revised' | 'corrected' | 'retracted' | 'ranked' | string;
  value?: ClaimValue;
  assertedOn: string;
  assertedDays?: { earliest: string; latest: string };
  certainty?: string;
  previous?: { claimId?: string; value: ClaimValue; assertedOn: string };
  /** Each end's change; kind and qualifier only when they changed. */
  change?: {
    low?: number;
    high?: number;
    ratio?: number | null;
    kind?: { from: string; to: string };
    qualifier?: { from: string | null; to: string | null };
  };
  /** For a revision: claims whose place is uncertain that may lie between the previous claim and this one. */
  mayLieBetween?: string[];
  orderUncertain?: boolean;
  orderUncertainWith?: string[];
  rank?: Rank;
  actor?: string;
  reason?: string;
  recordedAt?: string;
}

export interface Spread {
  low: number;
  high: number;
  ratio?: number | null;
}

export interface Figure {
  id: string;
  name: string;
  unit: string;
  description?: string;
  scope?: { places?: string[]; period?: ValidTime };
  claims: Claim[];
  claimsMore?: number;
  spread?: Spread | null;
  history?: Record<string, HistoryEntry[]>;
  historyNext?: string | null;
}

export interface TimelinePage {
  items: Fact[];
  nextCursor?: string | null;
  inEffect?: Fact[];
  inEffectMore?: boolean;
  figures?: Figure[];
}

export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  code?: string;
  errors?: { field?: string; reason: string }[];
  currentRevision?: number | string;
}

export interface Session {
  authenticated?: boolean;
  keysConfigured?: boolean;
  name?: string;
  role?: string;
}

/** An event as /events sends it. */
export interface LogEvent {
  type: string;
  streamId?: string;
  data?: { claimId?: string };
}
