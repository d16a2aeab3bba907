// The scenarios that need two CPUs (TWO_CPU_SCENARIOS), in a boot of their own.
import { defineTwoCpuBoot } from '../helpers/guest-boot.js';

defineTwoCpuBoot(import.meta.url);
