import { badRequest } from './errors';

/**
 * What an `If-Match` header asks: nothing (absent), that the resource exists (`*`), or
 * that its version is one of those listed. ETags of this API are strong and are a row's
 * version in quotes: `"3"`.
 */
export type VersionCondition = { kind: 'none' } | { kind: 'exists' } | { kind: 'versions'; versions: number[] };

const VERSION_TAG = /^"(\d{1,9})"$/;

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Parses `If-Match`; a value that is neither `*` nor a list of this API's ETags is a 400 naming the header. */
export function parseIfMatch(header: string | string[] | undefined): VersionCondition {
  if (header === undefined) return { kind: 'none' };
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return { kind: 'exists' };
  const tags = value.split(',').map((tag) => tag.trim());
  const versions = tags.map((tag) => VERSION_TAG.exec(tag)?.[1]);
  if (value === '' || versions.some((version) => version === undefined)) {
    throw badRequest('If-Match', 'must be * or a comma list of ETags this API gave, such as "3" (strong tags, quotes included)');
  }
  return { kind: 'versions', versions: versions.map(Number) };
}

/** Whether a resource at `version` satisfies the condition. */
export function satisfies(condition: VersionCondition, version: number): boolean {
  return condition.kind !== 'versions' || condition.versions.includes(version);
}
