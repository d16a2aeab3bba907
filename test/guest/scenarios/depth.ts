// How hard the rows that repeat something try. The default suite's counts
// fit `npm test` in its time and still catch what each row is for (each
// count's reason is beside it, measured); `npm run test:deep`
// (CPT_TEST_DEEP=1) runs the counts the suite had before, for a change to
// the code those rows exercise. vm/run passes the variable on to the
// guest, so the titles made on the host and the rows run in the guest agree.
export const DEEP = process.env['CPT_TEST_DEEP'] === '1';

/** `quick` in the default suite, `deep` under CPT_TEST_DEEP=1. */
export function depth(quick: number, deep: number): number {
  return DEEP ? deep : quick;
}

/** A count as titles write it: 1,000. */
export function countText(count: number): string {
  return count.toLocaleString('en-US');
}
