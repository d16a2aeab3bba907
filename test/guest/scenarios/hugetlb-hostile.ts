// Hostile hugetlb images: test/workloads/hugetlb_untouched.c's image with its
// hugetlb VMAs and SHM_HUGETLB segment edited (page sizes, alignment,
// kinds, sizes, pages outside the mappings). Each restart is refused by
// name, leaves nothing, and the unedited image restarts right after it.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

const EDITS: Readonly<Record<string, string>> = {
  'page-size': 'hugetlb VMAs of a huge page size this architecture lacks',
  gigantic: 'hugetlb VMAs of 1 GiB pages not aligned to them',
  'unaligned-end': 'a private MAP_HUGETLB VMA ending off its huge pages',
  'unaligned-offset': 'a SHM_HUGETLB attachment at an offset off its huge pages',
  heap: 'a heap of huge pages',
  'shmem-size': 'shared MAP_HUGETLB memory whose object is not a multiple of its huge pages',
  'file-small-pages': 'a hugetlbfs file mapped as if of base pages',
  'sysv-small-pages': 'a SHM_HUGETLB attachment as if of base pages',
  'shmem-small-pages': 'shared MAP_HUGETLB memory of base pages in one process, huge in the other',
  'anon-reserve': 'private MAP_HUGETLB memory 128 TiB into its object, more huge pages than there are',
  'shmem-reserve': 'shared MAP_HUGETLB memory of a 64 TiB object, more huge pages than there are',
  'pages-outside': 'pages in a hugetlbfs file mapped shared, which holds none',
  'segment-page-size': 'a SHM_HUGETLB segment of a huge page size this architecture lacks',
  'segment-gigantic': 'a SHM_HUGETLB segment of 1 GiB pages, which the kernel lacks',
  'segment-huge': 'a SHM_HUGETLB segment of 1 TiB',
  'segment-small-pages': 'a SHM_HUGETLB segment made of base pages',
};

export const hugetlbHostileScenarios: readonly Scenario[] = [
  {
    name: 'hugetlb-hostile',
    run: shell('hugetlb-hostile', 'hugetlb_hostile'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 60,
    checks: {
      'hugetlb-hostile.checkpoint': 'the hugetlb workload is checkpointed for the hostile images',
      ...Object.fromEntries(
        Object.entries(EDITS).flatMap(([edit, what]) => [
          [`hugetlb-hostile.${edit}`, `an image with ${what} is refused by name, leaving no task`],
          [`hugetlb-hostile.${edit}-then-restarts`, `the unedited image restarts right after the refusal of ${what}`],
        ]),
      ),
    },
  },
];
