// hugetlb memory through checkpoint -> kill -> restart: MAP_HUGETLB (private
// and shared with a child), a hugetlbfs file mapped shared and private, a
// SysV SHM_HUGETLB segment; what inspect shows, hostile images, and a
// restart that cannot have its huge pages.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const hugetlbScenarios: readonly Scenario[] = [
  {
    name: 'hugetlb',
    run: shell('hugetlb', 'hugetlb'),
    cli: true,
    timeoutSeconds: 300,
    // 16.7 s in the whole run of 2026-12-07 23:44; 7.2 s (a loaded host) once its edit was node_in's, not a jq's.
    costSeconds: 8,
    checks: {
      'hugetlb.reserved': 'the guest reserves huge pages for the hugetlb scenario',
      'hugetlb.checkpoint': 'hugetlb memory of every kind is checkpointed',
      'inspect.hugetlb': 'inspect shows the huge page size of each hugetlb mapping and SHM_HUGETLB segment',
      'hugetlb.exit-status': 'the hugetlb workload restarts and ends well',
      'hugetlb.private-anon': 'private MAP_HUGETLB memory comes back with huge pages and its content',
      'hugetlb.shared-anon': 'shared MAP_HUGETLB memory comes back with huge pages, its content, and an untouched page still zero',
      'hugetlb.file': 'a hugetlbfs file mapped shared comes back mapped, with huge pages and its content',
      'hugetlb.file-private': "a private mapping of a hugetlbfs file keeps its copied-on-write page and the file's others",
      'hugetlb.sysv': 'a SHM_HUGETLB segment comes back attached, with huge pages and its content',
      'hugetlb.shared-with-child':
        'shared MAP_HUGETLB memory and a SHM_HUGETLB segment are shared with the forked child again after the restart',
      'hugetlb.hostile-page-size': 'an image with a huge page size this architecture lacks is refused by name, leaving nothing',
      'hugetlb.no-huge-pages':
        'a restart that cannot have its huge pages fails naming the mapping and vm.nr_hugepages, never falls back to small pages',
    },
  },
];
