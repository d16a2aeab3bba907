// What a guest scenario is: one row of the table that test/guest/driver.ts
// runs in the guest and test/helpers/guest-boot.ts turns into ava tests.
// A row names how the scenario runs (an in-process checkpoint -> kill ->
// restart cycle of a workload, or a shell function for what tests cptctl's
// command line), the RESULT checks it must report, each with the ava
// title that says what it asserts, its own timeout and its cost.
import type { ExecutionContext } from 'ava';

/** What a hook may do in the guest: report, and run shell functions with the cycle's paths. */
export interface ScenarioContext {
  /** The scenario's own directory, empty at its start. */
  readonly dir: string;
  /** The image the cycle wrote. */
  readonly image: string;
  /** The workload's output file. */
  readonly out: string;
  /** The workload's pid. */
  readonly pid: number;
  /** Prints `RESULT <check> PASS|FAIL <detail>`. */
  result(check: string, passed: boolean, detail: string): void;
  /** Runs the function FN of test/guest/shell/FILE.sh, with the paths above in its environment ($scratch, $img, $out, $pid, $name), and `env`. */
  shell(file: string, fn: string, env?: Readonly<Record<string, string>>): Promise<void>;
  /** Starts a workload of test/workloads/build, its output in `out`, and waits for its READY line. */
  startWorkload(program: string, args: readonly string[]): Promise<Workload>;
  /** Creates `dir/go`, which workloads wait for. */
  go(): void;
  /** Prints the RESULT lines of the workload's output, renamed into PREFIX's (`RESULT x` -> `RESULT PREFIX.x`). */
  relayResults(prefix: string): void;
  /** cptctl's checkpoint, in this process; resolves to an error message, or null when it succeeded. */
  checkpoint(pid: number, disposition: 'leave-running' | 'kill'): Promise<string | null>;
  /** cptctl's restart of an image, in this process; resolves to the restored root, or rejects with why it failed. */
  restart(image: string): Promise<Workload>;
}

export interface Workload {
  readonly pid: number;
  /** What followed READY on its line. */
  readonly ready: string;
  /** Its exit status, once it ended. */
  readonly exited: Promise<number>;
}

export type Hook = (context: ScenarioContext) => Promise<void> | void;

/**
 * checkpoint --kill then restart, in the driver's own node (as bench/guest.ts
 * does), of a workload that prints READY, waits for its go and checks its
 * own state. Its RESULT lines come out prefixed with the scenario's name.
 */
export interface CycleRun {
  readonly kind: 'cycle';
  /** A program of test/workloads/build. */
  readonly workload: string;
  /** Its arguments, given the scenario's directory. */
  readonly args: (dir: string) => readonly string[];
  /** How the restarted workload is told to go on: `dir/go` is created unless a signal is named. */
  readonly poke?: { readonly signal: NodeJS.Signals };
  /** The exit status the restarted workload must end with; 0 by default. */
  readonly exitStatus?: number;
  /** Restart the same image a second time (checks `NAME.exit-status-again`). */
  readonly twice?: boolean;
  /** Runs between the checkpoint and the restart. */
  readonly between?: Hook;
  /** Runs once the restarted workload ended (e.g. `cptctl inspect` of its image). */
  readonly after?: Hook;
}

/** A shell function `scenario_FN` of test/guest/shell/FILE.sh, for what goes through cptctl's command line. */
export interface ShellRun {
  readonly kind: 'shell';
  readonly file: string;
  readonly fn: string;
  /** More environment for it (counts: depth.ts). */
  readonly env?: Readonly<Record<string, string>>;
}

/** In-process code for what is neither a plain cycle nor a CLI test. */
export interface CustomRun {
  readonly kind: 'custom';
  readonly run: (context: ScenarioContext) => Promise<void>;
}

/** An assertion on the scenario's whole output, beyond its RESULT lines. */
export interface OutputCheck {
  readonly title: string;
  readonly assert: (t: ExecutionContext, output: string) => void;
}

export interface Scenario {
  /** Unique; also the directory name and the prefix of its RESULT names. */
  readonly name: string;
  readonly run: CycleRun | ShellRun | CustomRun;
  /** RESULT name -> the ava title that says what it asserts. */
  readonly checks: Readonly<Record<string, string>>;
  readonly outputChecks?: readonly OutputCheck[];
  /** Seconds before the driver gives up on it, kills what it started and goes on. */
  readonly timeoutSeconds: number;
  /**
   * Seconds it takes in a TCG guest on an idle host, measured: how boots
   * are filled. Last refitted from the whole run of 2026-12-07 23:44 (a
   * fresh clone, an idle host): each row's SCENARIO-END seconds to the
   * half second (0.5 at least), averaged with those of the run of 22:51
   * for the 11 rows that run found off; the notes beside some rows'
   * costs are their earlier measurements.
   */
  readonly costSeconds: number;
  /**
   * Tests cptctl's command line itself (exit statuses, messages, output): a
   * shell function, through bin/cptctl where the caller is under test (as
   * another user, with other limits, a terminal, a pipe), else through
   * lib.sh's cptctl_in (the same run() in the boot's one node).
   */
  readonly cli?: boolean;
  /** Leaves the guest changed for good (Yama's ptrace scope): runs last in its boot. */
  readonly last?: boolean;
  /**
   * Makes x32 syscalls, which Debian's 6.1 runs only when booted with
   * X32_KERNEL_ARG: its boot boots so (test/helpers/guest-boot.ts), and the
   * driver fails it (NAME.x32-kernel) in a guest booted without.
   */
  readonly x32?: boolean;
}

/** The guest kernel's argument that turns x32 syscalls on (Debian's; off by default). */
export const X32_KERNEL_ARG = 'syscall.x32=y';
