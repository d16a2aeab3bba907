// Private anonymous memory a parent shares copy-on-write with its forked
// children and a grandchild (test/workloads/cow_tree.c), a region the
// parent locked (mlock) too: the checkpoint
// records which pages each child still shares with its parent (Vma
// in_parent, shown by inspect); the restart shares those pages with the
// restored parent again (smaps), and every process gets its own content
// back, a write after the restart seen by its writer only.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shellHook } from './rows.js';

export const cowScenarios: readonly Scenario[] = [
  {
    name: 'cow',
    run: cycle('cow_tree', inDir, { after: shellHook('cow', 'after_cow') }),
    // A 75 MB image: six processes' 12 MiB each, saved in full.
    timeoutSeconds: 120,
    costSeconds: 7,
    checks: {
      'cow.exit-status': 'a parent, four children and a grandchild sharing private memory copy-on-write restart and end well',
      'cow.parent-content': "the parent's 3072 pages hold its words after the restart",
      'cow.parent-isolated': "a child's write to a page it shared with the parent, after the restart, is not the parent's",
      'cow.children-content': "each child holds the pages it wrote and the parent's words in the others",
      'cow.child-isolated': "a child's write after the restart is not seen by its sibling",
      'cow.shared':
        "the pages each process shared with its parent at the checkpoint are shared again after the restart, those of a region the parent locked too: the parent's 3072, at least 2976 of each child's and the grandchild's",
      'cow.parent-write-isolated': "the parent's write to a page shared again, after the restart, is not seen by a child",
      'cow.grandchild': "the grandchild holds its pages, its parent's and the root's",
      'cow.children': 'the copy-on-write children exit 0',
      'inspect.cow-in-parent':
        "the checkpoint marks in each child, the grandchild included, the 992 pages of each region it had not written as its parent's",
      'inspect.cow-text': "inspect's text shows the pages in parent, per VMA and per process",
    },
  },
  {
    // Transparent huge pages a parent and its children still map huge, one a
    // child split by a write, and two adjacent mappings a restart maps
    // side by side (test/workloads/cow_huge.c).
    name: 'cow-huge',
    run: cycle('cow_huge', inDir, { after: shellHook('cow', 'after_cow_huge') }),
    timeoutSeconds: 120,
    costSeconds: 1.5,
    checks: {
      'cow-huge.exit-status': 'a parent and two children sharing huge pages and two adjacent mappings copy-on-write restart and end well',
      'cow-huge.thp-in-guest': "the root's MADV_HUGEPAGE region is held by huge pages before the fork (AnonHugePages)",
      'cow-huge.pair-apart': 'the two adjacent mappings are two VMAs before the checkpoint',
      'cow-huge.content': "every process's pages hold its words after the restart",
      'cow-huge.thp-shared': "the huge pages' memory each process shared at the checkpoint is shared again (smaps)",
      'cow-huge.thp-huge': 'each process maps as much of it by huge pages as at the checkpoint (AnonHugePages)',
      'cow-huge.pair-shared': "the adjacent mappings' pages each process shared at the checkpoint are shared again",
      'cow-huge.isolated':
        "a write after the restart, the root's to a huge page shared again, a child's to a merged mapping, is its writer's only",
      'cow-huge.children': 'the children sharing huge pages and adjacent mappings exit 0',
      'inspect.cow-huge-in-parent':
        "the checkpoint marks the children's pages of the huge pages and of both adjacent mappings they had not written as their parent's",
    },
  },
  {
    // The same tree, its image made to say that child 1's pages of THP and of
    // B are all its parent's, the two it wrote included: a restart still
    // gives every process its own memory, whatever the runs say.
    name: 'cow-huge-hostile',
    run: cycle('cow_huge', inDir, { between: shellHook('cow', 'hostile_cow_huge') }),
    timeoutSeconds: 150,
    costSeconds: 7,
    checks: {
      'cow-huge-hostile.widened': "the image's runs of child 1 are widened over the pages it wrote (THP, B)",
      'cow-huge-hostile.exit-status': 'the tree restarted from the widened image ends well',
      'cow-huge-hostile.thp-in-guest': "the root's MADV_HUGEPAGE region is held by huge pages before the fork",
      'cow-huge-hostile.pair-apart': 'the two adjacent mappings of the tree whose image is widened are two VMAs before the checkpoint',
      'cow-huge-hostile.content': "child 1 holds its own words where the widened runs said its parent's",
      'cow-huge-hostile.thp-shared': 'the huge pages shared at the checkpoint are shared again all the same',
      'cow-huge-hostile.thp-huge': 'each process maps as much by huge pages as at the checkpoint',
      'cow-huge-hostile.pair-shared': "the adjacent mappings' shared pages are shared again",
      'cow-huge-hostile.isolated': "a write after the restart is its writer's only",
      'cow-huge-hostile.children': 'the children restarted from the widened image exit 0',
    },
  },
  {
    // A child's own protection of memory it still shares with its parent
    // (test/workloads/cow_prot.c): it made one region PROT_NONE, another
    // PROT_READ, its parent keeps both read-write; a restart that shared
    // their pages again would copy the parent's page table entries, and its
    // access with them.
    name: 'cow-prot',
    run: cycle('cow_prot', inDir, { after: shellHook('cow', 'after_cow_prot') }),
    timeoutSeconds: 120,
    costSeconds: 0.5,
    checks: {
      'cow-prot.exit-status': 'a parent and a child that changed the protection of memory they share restart and end well',
      'cow-prot.child-none': 'a read of the region the child made PROT_NONE faults in the child after the restart',
      'cow-prot.child-read': 'a write to the region the child made PROT_READ faults in the child after the restart',
      'cow-prot.child-content': "the child's regions hold its parent's words after the restart",
      'cow-prot.root': "the parent's regions hold its words after the restart, and it may still write to them",
      'inspect.cow-prot-in-parent':
        "the checkpoint marks none of the child's pages of the regions whose protection it changed as its parent's, all of the one it kept",
    },
  },
  {
    // The same tree, its image made to say that the child's pages of the
    // regions it protected are its parent's: the restart must not share them.
    name: 'cow-prot-hostile',
    run: cycle('cow_prot', inDir, { between: shellHook('cow', 'hostile_cow_prot') }),
    timeoutSeconds: 120,
    costSeconds: 2.5,
    checks: {
      'cow-prot-hostile.widened': "the image's runs of the child cover the regions it protected",
      'cow-prot-hostile.exit-status':
        'the parent and child restarted from an image that widens the child runs over its protected regions end well',
      'cow-prot-hostile.child-none': 'a read of the PROT_NONE region faults in the child whatever the runs say',
      'cow-prot-hostile.child-read': 'a write to the PROT_READ region faults in the child whatever the runs say',
      'cow-prot-hostile.child-content': "the child's regions hold its parent's words",
      'cow-prot-hostile.root': "the parent's regions hold its words, and it may still write to them",
    },
  },
];
