// The tree record (CPT_REC_TREE) of an image: which tasks a restart builds.
// The module writes it right after the header and reads it in its
// CPT_IOC_INIT; cptctl reads the same bytes ahead, for the plan.
import { ImageError } from '../errors.js';
import type { ImageAbi } from './abi.js';
import type { ByteSource } from './io.js';
import { readRecords } from './reader.js';
import type { Tree } from './schema.js';
import { decodeMessage } from './schema.js';

/** Reads the tree: the record after the header. */
export async function readTree(abi: ImageAbi, source: ByteSource): Promise<Tree> {
  let index = 0;
  for await (const record of readRecords(abi, source)) {
    if (index++ === 0) continue;
    if (record.kind !== 'message' || record.typeName !== 'TREE') {
      throw new ImageError(`${record.where}: the record after the image header is not the tree of tasks`);
    }
    let tree: Tree;
    try {
      tree = decodeMessage('Tree', record.payload);
    } catch (error: unknown) {
      throw new ImageError(`${record.where}: malformed tree of tasks: ${(error as Error).message}`, { cause: error });
    }
    if (tree.tasks.length === 0) throw new ImageError(`${record.where}: the tree of tasks is empty`);
    return tree;
  }
  throw new ImageError('the image ends before its tree of tasks');
}
