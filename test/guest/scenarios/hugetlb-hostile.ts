// Hostile hugetlb images: test/workloads/hugetlb_untouched.c's image with its
// hugetlb VMAs and SHM_HUGETLB segment edited (page sizes, alignment,
// kinds, sizes, pages outside the mappings). Each restart is refused by
// name and leaves nothing, and the unedited image restarts after them.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

const EDITS: Readonly<Record<string, string>> = {
  'page-size': 'hugetlb VMAs of a huge page size this architecture lacks',
  gigantic: 'hugetlb VMAs of 1 GiB pages not aligned to them',
  'unaligned-offset': 'a SHM_HUGETLB attachment at an offset off its huge pages',
  'file-small-pages': 'a hugetlbfs file mapped as if of base pages',
  'shmem-reserve': 'shared MAP_HUGETLB memory of a 64 TiB object, more huge pages than there are',
  'sysv-small-pages': 'a SHM_HUGETLB attachment as if of base pages',
  'pages-outside': 'pages in a hugetlbfs file mapped shared, which holds none',
  'segment-gigantic': 'a SHM_HUGETLB segment of 1 GiB pages, which the kernel lacks',
  'segment-small-pages': 'a SHM_HUGETLB segment made of base pages',
};

export const hugetlbHostileScenarios: readonly Scenario[] = [
  {
    name: 'hugetlb-hostile',
    run: shell('hugetlb-hostile', 'hugetlb_hostile'),
    cli: true,
    timeoutSeconds: 400,
    // 13.1 s of the guest's CPU with a jq for each of its 9 edited images, 11.0 s with one jq for them
    // all (one boot, 2026-12-07 15:08); 30.2 s in the whole run of 14:20 (a loaded host), 11.9 s in that of 10:12 (idle).
    costSeconds: 7.5,
    checks: {
      'hugetlb-hostile.checkpoint': 'the hugetlb workload is checkpointed for the hostile images',
      ...Object.fromEntries(
        Object.entries(EDITS).map(([edit, what]) => [
          `hugetlb-hostile.${edit}`,
          `an image with ${what} is refused by name, leaving no task`,
        ]),
      ),
      'hugetlb-hostile.then-restarts': 'after every hostile image was refused, the unedited image restarts',
    },
  },
  {
    // Private hugetlb memory made read-only after it was written: GUP
    // refuses forced writes to hugetlb memory, so a restart maps it writable
    // until its pages are in.
    name: 'hugetlb-readonly',
    run: shell('hugetlb-hostile', 'hugetlb_readonly'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'hugetlb-readonly.checkpoint': 'private hugetlb memory made read-only is checkpointed',
      'hugetlb-readonly.exit-status': 'the workload with read-only private hugetlb memory restarts and ends well',
      'hugetlb-readonly.readonly-anon': 'read-only private MAP_HUGETLB memory comes back with its content, huge pages, still read-only',
      'hugetlb-readonly.readonly-file':
        "a read-only private mapping of a hugetlbfs file comes back with its copied-on-write page's content, still read-only",
    },
  },
];
