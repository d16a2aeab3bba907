// Naming the step of a session that failed: checkpoint and restart run their
// steps through step(), and turn a StepFailure into their own error with
// the step's name ("CPT_IOC_SAVE(MM)") in the message.

/** A failed step: which one, and the error it failed with. */
export class StepFailure extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(step);
    this.name = 'StepFailure';
  }
}

/** Runs `work`; whatever it throws comes out as a StepFailure named `name`. */
export async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error: unknown) {
    throw new StepFailure(name, error);
  }
}
