// Deleted FIFOs and device nodes come back as they were (made again with
// mknod at a temporary name next to their path, opened, unlinked), with
// their data, owners, modes and times; the less common open flags
// (O_NOATIME, O_DIRECT, O_SYNC, O_DSYNC, a pipe's packet mode and
// O_APPEND) come back, or the restart is refused naming the fd (issue 13).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

export const deletedNodesScenarios: readonly Scenario[] = [
  {
    name: 'deleted-nodes',
    run: cycle('deleted_nodes', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'deleted-nodes.exit-status': 'deleted FIFOs and device nodes and the less common open flags restart and check out',
      'deleted-nodes.fifo-node': 'a deleted FIFO keeps its mode, owner, group and times, and has no name',
      'deleted-nodes.fifo-data': "a deleted FIFO keeps its unread data, its reader's and writer's fds one pipe again",
      'deleted-nodes.node-attrs': 'deleted device nodes (1:3, 1:5) keep their rdev, mode, owner, group and times, and have no name',
      'deleted-nodes.node-behaves': 'deleted /dev/null and /dev/zero nodes behave as such, two opens of one on one inode',
      'deleted-nodes.noatime': 'an O_NOATIME fd keeps O_NOATIME',
      'deleted-nodes.direct': 'an O_DIRECT fd on a file system with direct I/O (9p) keeps O_DIRECT',
      'deleted-nodes.sync': 'O_SYNC and O_DSYNC fds keep them',
      'deleted-nodes.packet-pipe': 'a packet-mode pipe (pipe2(O_DIRECT)) keeps its mode',
      'deleted-nodes.append-pipe': 'a pipe given O_APPEND by F_SETFL keeps it',
    },
  },
  {
    name: 'deleted-nodes-user',
    run: shell('deleted-nodes', 'deleted_nodes_user'),
    cli: true,
    timeoutSeconds: 180,
    costSeconds: 3.5,
    checks: {
      'deleted-nodes-user.checkpoint': 'root checkpoints a nobody process holding a deleted /dev/null node root made',
      'deleted-nodes-user.no-mknod-refused':
        'its restart by nobody (no CAP_MKNOD) is refused, naming the fd and the deleted device node, and leaves nothing',
      'deleted-nodes-user.exit-status': 'its restart by root checks out',
      'deleted-nodes-user.node': 'the deleted node held by nobody is /dev/null again, deleted',
      'deleted-nodes-user.packet-refused':
        'a checkpoint of a packet-mode pipe (O_DIRECT) holding data is refused, naming the fd, and the process runs on',
    },
  },
];
