import { SetMetadata } from '@nestjs/common';
import type { Role as KeyRole } from './key-store';

export const ROLE_METADATA = 'annals:role';

/**
 * What a route needs: a role, 'public' for routes anyone may call (the page, health, login), or
 * 'key' for routes that need a key of any role even when reads are open (/metrics: a scraper holds a
 * reader key, never one that writes). With no key created yet, 'key' is open like every route.
 */
export type Access = KeyRole | 'public' | 'key';

/**
 * The role a route or controller needs. Without it, GET and HEAD need a reader and every other
 * method an editor, so a new endpoint is never open by accident: `@Role('admin')` is all an admin
 * route (verify, rebuild, import) adds.
 */
export const Role = (access: Access) => SetMetadata(ROLE_METADATA, access);
