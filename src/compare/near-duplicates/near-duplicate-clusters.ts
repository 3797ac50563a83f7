import { compareIds, type EntryId, type NearDuplicatePair } from './near-duplicate-pairs';

/**
 * Joins pairs transitively into groups (A~B and B~C put A, B, C in one group) with
 * union-find. Each group lists its ids in ascending order; larger groups come first,
 * then by their smallest id.
 */
export function groupIntoClusters<Id extends EntryId>(pairs: readonly NearDuplicatePair<Id>[]): Id[][] {
  const indexOf = new Map<Id, number>();
  const ids: Id[] = [];
  const parent: number[] = [];
  const indexFor = (id: Id): number => {
    let index = indexOf.get(id);
    if (index === undefined) {
      index = ids.length;
      indexOf.set(id, index);
      ids.push(id);
      parent.push(index);
    }
    return index;
  };
  const root = (index: number): number => {
    while (parent[index] !== index) {
      parent[index] = parent[parent[index]];
      index = parent[index];
    }
    return index;
  };
  for (const { idA, idB } of pairs) {
    const rootA = root(indexFor(idA));
    const rootB = root(indexFor(idB));
    if (rootA !== rootB) parent[rootB] = rootA;
  }

  const groups = new Map<number, Id[]>();
  for (let index = 0; index < ids.length; index++) {
    const key = root(index);
    const group = groups.get(key);
    if (group) group.push(ids[index]);
    else groups.set(key, [ids[index]]);
  }
  const clusters = [...groups.values()];
  for (const cluster of clusters) cluster.sort(compareIds);
  return clusters.sort((x, y) => y.length - x.length || compareIds(x[0], y[0]));
}
