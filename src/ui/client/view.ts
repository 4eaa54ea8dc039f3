/*
 * What the page is showing now, shared by the modules that draw it: the one mutable object of the page.
 */
import type { Fact, Figure } from './api-types';
import type { ViewState } from './url-state';

export const view = {
  state: {} as ViewState,
  /** Each load gets a number; an answer that arrives after a newer load started is dropped. */
  generation: 0,
  nextCursor: null as string | null,
  shown: 0,
  /** Events that arrived while the page shows a past knownAt. */
  unseen: 0,
  /** The facts on the page, drawn on the zoomable timeline too. */
  loadedFacts: [] as Fact[],
  /** The figures of the last load, for the editor's list of figures. */
  figures: null as Figure[] | null,
  canWrite: false,
};
