// Checking that cptctl closed an fd. The number alone cannot tell: once
// closed, anything else in the test process may reuse it at once.
import { fstatSync, statSync } from 'node:fs';

/** Whether `fd` no longer refers to the file at `path`: closed, or reused for another file since. */
export function isClosedFd(fd: number, path: string): boolean {
  try {
    const now = fstatSync(fd);
    const was = statSync(path);
    return now.dev !== was.dev || now.ino !== was.ino;
  } catch (error: unknown) {
    return (error as { code?: unknown }).code === 'EBADF';
  }
}
