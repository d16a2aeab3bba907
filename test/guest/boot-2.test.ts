// Boot 2 of the guest tests: its share of the scenario table, by cost (test/helpers/guest-boot.ts).
import { defineGuestBoot } from '../helpers/guest-boot.js';

defineGuestBoot(2, import.meta.url);
